export { parseIp, parseCidr, inCidr, type IpValue, type Cidr } from './ip';
export { formatIp, normalizeIp, normalizeCidr } from './format';
