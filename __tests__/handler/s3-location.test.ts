import { ResultLocationError } from '../../handler/errors';
import { parseS3Location } from '../../handler/s3-location';

describe('parseS3Location', () => {
  it.each([
    ['s3://results/athena/q-1.csv', 'results', 'athena/q-1.csv'],
    ['s3://results/q-1.csv', 'results', 'q-1.csv'],
    ['s3://my.bucket-01/a b/c d.csv', 'my.bucket-01', 'a b/c d.csv'],
    ['s3://results/prefix/100%25 done.csv', 'results', 'prefix/100%25 done.csv'],
    ['s3://results/k+e=y/ü ñ 日本.csv', 'results', 'k+e=y/ü ñ 日本.csv'],
    ['s3://results//double//slash.csv', 'results', '/double//slash.csv'],
    ['s3://results/a?b#c.csv', 'results', 'a?b#c.csv'],
  ])('splits %j into bucket %j and the raw key %j', (location, bucket, key) => {
    // GIVEN / WHEN
    const parsed = parseS3Location(location);

    // THEN
    expect(parsed).toEqual({ bucket, key });
  });

  it.each([
    [undefined, 'must be an s3://bucket/key string'],
    ['', 'must be an s3://bucket/key string'],
    ['https://results.s3.amazonaws.com/q.csv', 'must start with s3://'],
    ['S3://results/q.csv', 'must start with s3://'],
    ['s3://results', 'must name an object'],
    ['s3://results/', 'must name an object'],
    ['s3://results/prefix/', 'must name an object'],
    ['s3://Results/q.csv', 'bucket must be a valid S3 bucket name'],
    ['s3://ab/q.csv', 'bucket must be a valid S3 bucket name'],
    ['s3://bad..bucket/q.csv', 'bucket must be a valid S3 bucket name'],
    ['s3:///q.csv', 'bucket must be a valid S3 bucket name'],
    [`s3://results/${'é'.repeat(600)}`, 'at most 1024 bytes'],
  ])('rejects %j', (location, message) => {
    // GIVEN / WHEN
    const parse = () => parseS3Location(location);

    // THEN
    expect(parse).toThrow(ResultLocationError);
    expect(parse).toThrow(message);
  });
});
