// Runs s3rver in its own process and prints `{"port": N}` on stdout once it listens. The parent
// starts it with --openssl-legacy-provider because s3rver 3.7 builds ListObjectsV2 continuation
// tokens with DES, which OpenSSL 3 only offers in its legacy provider.
import S3rver from 's3rver';

const [directory, bucketList] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: bucketList.split(',').map((name) => ({ name, configs: [] })),
});
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
process.on('SIGTERM', () => {
  server.close().finally(() => process.exit(0));
});
