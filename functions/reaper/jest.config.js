export default { ...(await import('../../jest.config.base.js')).base };
