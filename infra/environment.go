package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
	"github.com/lambdabridge/lambdabridge/handlers/relay"
	"github.com/lambdabridge/lambdabridge/handlers/store"
	"github.com/lambdabridge/lambdabridge/handlers/writer"
	"github.com/lambdabridge/lambdabridge/planner"
)

// The functions' environments are rendered by each handler's own settings (fetcher.Settings,
// writer.Settings, relay.Settings: the variable names live in the handlers) from the stack's
// values, some of them Pulumi outputs: the database's host and port, the bucket's name. No
// password is part of it, except the writer's own for an existing database the stack
// explicitly allows (dbPasswordInEnvironment): the environment is then a secret as a whole.

// environmentOf is the environment of the function of role r, rendered by its handler's
// settings (bucket nil: none).
func environmentOf(r planner.Role, args *FunctionsArgs, bucket *s3.BucketV2) (pulumi.StringMapInput, error) {
	switch r {
	case planner.Fetcher:
		return fetcherEnvironment(args, bucket), nil
	case planner.Writer:
		return writerEnvironment(args, bucket), nil
	case planner.Relay:
		return relayEnvironment(args), nil
	}
	return nil, fmt.Errorf("no environment for function role %q", r)
}

// fetcherEnvironment is the fetcher's environment: the source, destination or s3 mode, the
// spill switch, the async limit and, when there is one, the handoff bucket (nil: none).
func fetcherEnvironment(args *FunctionsArgs, bucket *s3.BucketV2) pulumi.StringMapOutput {
	return bucketName(bucket).ApplyT(func(name string) map[string]string {
		s := fetcher.NewSettings(args.SourceURL, args.AsyncLimitBytes)
		s.Source = sourceSettings(args, planner.Fetcher)
		s.KeyPrefix, s.Bucket = blob.DefaultPrefix, name
		s.Spill = args.Shape.Spills(args.Spill)
		if args.Shape.Handoff == planner.HandoffObject {
			s.Mode = fetcher.ModeS3
		}
		return s.Env()
	}).(pulumi.StringMapOutput)
}

// writerEnvironment is the writer's environment: the database and, when there is one, the
// handoff bucket (nil: none).
func writerEnvironment(args *FunctionsArgs, bucket *s3.BucketV2) pulumi.StringMapOutput {
	return pulumi.All(append(databaseOutputs(args), bucketName(bucket))...).ApplyT(func(v []interface{}) map[string]string {
		return writer.Settings{Store: storeSettings(args, v), Bucket: v[len(v)-1].(string)}.Env()
	}).(pulumi.StringMapOutput)
}

// relayEnvironment is the relay's environment: the source, the async limit it reports against,
// and the database.
func relayEnvironment(args *FunctionsArgs) pulumi.StringMapOutput {
	return pulumi.All(databaseOutputs(args)...).ApplyT(func(v []interface{}) map[string]string {
		return relay.Settings{Source: sourceSettings(args, planner.Relay), AsyncLimitBytes: args.AsyncLimitBytes,
			Store: storeSettings(args, v)}.Env()
	}).(pulumi.StringMapOutput)
}

// databaseOutputs are the database's outputs storeSettings takes, in this order: host, port
// and the writer's password (an empty string unless the database is reached with a password,
// which the stack must allow explicitly: dbPasswordInEnvironment).
func databaseOutputs(args *FunctionsArgs) []interface{} {
	password := pulumi.String("").ToStringOutput()
	if args.DB.Auth == store.AuthPassword {
		password = args.DB.Password
	}
	return []interface{}{args.DB.Host, args.DB.Port, password}
}

// storeSettings is the database part of the writer's and the relay's settings, from the
// resolved databaseOutputs v: TLS verified against the RDS bundle, IAM authentication (or the
// allowed password). No admin credentials: the writer-role setup is the deploy's one-shot
// invocation (Functions.Setup), whose payload carries them.
func storeSettings(args *FunctionsArgs, v []interface{}) store.Config {
	return store.Config{
		Host: v[0].(string), Port: v[1].(int), Name: args.DBName, User: args.DBUser, Auth: args.DB.Auth, SSLMode: "verify-full",
		RecordsKey: args.RecordsKey, RecordsTable: args.RecordsTable, Password: v[2].(string),
	}
}

// bucketName is the bucket's name, or an empty string without a bucket.
func bucketName(b *s3.BucketV2) pulumi.StringOutput {
	if b == nil {
		return pulumi.String("").ToStringOutput()
	}
	return b.Bucket
}
