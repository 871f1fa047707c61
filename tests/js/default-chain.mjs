// Prints the caller ARN that the AWS SDK for JavaScript v3 gets from its default credential
// chain: no credentials are given to the client, so the SDK finds them itself (environment,
// shared files, then the container endpoint named by AWS_CONTAINER_CREDENTIALS_FULL_URI).
// Usage: node default-chain.mjs. Endpoint and region come from the environment.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";

const client = new STSClient({ region: process.env.AWS_REGION ?? "us-east-1" });
try {
  const identity = await client.send(new GetCallerIdentityCommand({}));
  console.log(identity.Arn);
} catch (err) {
  console.error(`${err.name}: ${err.message}`);
  process.exit(1);
}
