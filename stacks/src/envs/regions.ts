// The AWS Regions of each partition Reflex deploys to, to refuse a typo (`eu-centrall-1`) before Terraform
// does, and a Region of another partition (`cn-north-1` with `aws`).
//
// Source: "AWS Regions", https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
// (and its billing codes page, aws-region-billing-codes.html), checked against the partitions data of the
// AWS SDK for JavaScript v3 (@aws-sdk/core 3.981), which also serves the newest: me-west-1 and sa-west-1.
// A new Region goes here when AWS opens it.

/** The partitions an environment may name. */
export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type Partition = (typeof PARTITIONS)[number];

/**
 * Every Region of each partition, by code.
 *
 * @example
 * PARTITION_REGIONS['aws-cn']; // ["cn-north-1", "cn-northwest-1"]
 * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
 */
export const PARTITION_REGIONS: Readonly<Record<Partition, readonly string[]>> = {
  aws: [
    'us-east-1', // US East (N. Virginia)
    'us-east-2', // US East (Ohio)
    'us-west-1', // US West (N. California)
    'us-west-2', // US West (Oregon)
    'ca-central-1', // Canada (Central)
    'ca-west-1', // Canada West (Calgary)
    'mx-central-1', // Mexico (Central)
    'sa-east-1', // South America (São Paulo)
    'sa-west-1', // South America (Chile)
    'af-south-1', // Africa (Cape Town)
    'ap-east-1', // Asia Pacific (Hong Kong)
    'ap-east-2', // Asia Pacific (Taipei)
    'ap-northeast-1', // Asia Pacific (Tokyo)
    'ap-northeast-2', // Asia Pacific (Seoul)
    'ap-northeast-3', // Asia Pacific (Osaka)
    'ap-south-1', // Asia Pacific (Mumbai)
    'ap-south-2', // Asia Pacific (Hyderabad)
    'ap-southeast-1', // Asia Pacific (Singapore)
    'ap-southeast-2', // Asia Pacific (Sydney)
    'ap-southeast-3', // Asia Pacific (Jakarta)
    'ap-southeast-4', // Asia Pacific (Melbourne)
    'ap-southeast-5', // Asia Pacific (Malaysia)
    'ap-southeast-6', // Asia Pacific (New Zealand)
    'ap-southeast-7', // Asia Pacific (Thailand)
    'eu-central-1', // Europe (Frankfurt)
    'eu-central-2', // Europe (Zurich)
    'eu-north-1', // Europe (Stockholm)
    'eu-south-1', // Europe (Milan)
    'eu-south-2', // Europe (Spain)
    'eu-west-1', // Europe (Ireland)
    'eu-west-2', // Europe (London)
    'eu-west-3', // Europe (Paris)
    'il-central-1', // Israel (Tel Aviv)
    'me-central-1', // Middle East (UAE)
    'me-south-1', // Middle East (Bahrain)
    'me-west-1', // Middle East (Saudi Arabia)
  ],
  'aws-cn': [
    'cn-north-1', // China (Beijing)
    'cn-northwest-1', // China (Ningxia)
  ],
  'aws-us-gov': [
    'us-gov-east-1', // AWS GovCloud (US-East)
    'us-gov-west-1', // AWS GovCloud (US-West)
  ],
};

/** The partition a Region belongs to; undefined for a code that is no Region. */
export function partitionOf(region: string): Partition | undefined {
  return PARTITIONS.find((p) => PARTITION_REGIONS[p].includes(region));
}

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The Region closest to a mistyped code, at most 3 edits away.
 *
 * @example
 * closestRegion('eu-centrall-1'); // "eu-central-1"
 */
export function closestRegion(code: string): string | undefined {
  let best: { region: string; edits: number } | undefined;
  for (const region of PARTITIONS.flatMap((p) => PARTITION_REGIONS[p])) {
    const edits = distance(code.toLowerCase(), region);
    if (edits <= 3 && (!best || edits < best.edits)) best = { region, edits };
  }
  return best?.region;
}
