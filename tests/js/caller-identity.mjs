// Prints the caller ARN that the AWS SDK for JavaScript v3 gets for a profile, loading its
// credentials with fromIni (a profile in the credentials file) or fromProcess (a
// credential_process profile in the config file). Usage: node caller-identity.mjs ini|process PROFILE
// The endpoint, region and file locations come from the environment (AWS_ENDPOINT_URL, ...).
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromIni, fromProcess } from "@aws-sdk/credential-providers";

const [how, profile] = process.argv.slice(2);
const credentials = how === "process" ? fromProcess({ profile }) : fromIni({ profile });
const client = new STSClient({ credentials, region: process.env.AWS_REGION ?? "us-east-1" });
try {
  const identity = await client.send(new GetCallerIdentityCommand({}));
  console.log(identity.Arn);
} catch (err) {
  console.error(`${err.name}: ${err.message}`);
  process.exit(1);
}
