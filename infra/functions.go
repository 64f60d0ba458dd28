package infra

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/store"
	"github.com/lambdabridge/lambdabridge/lambdas"
	"github.com/lambdabridge/lambdabridge/naming"
	"github.com/lambdabridge/lambdabridge/planner"
)

// Builder builds one handler package (e.g. "./lambdas/fetcher") for goarch ("arm64" or
// "amd64") into outDir and returns the path of the `bootstrap` binary. The program
// passes handlers/lambdabuild.Build; tests pass a fake that writes a small file.
type Builder func(ctx context.Context, pkg, goarch, outDir string) (string, error)

// vpcENIActions are the EC2 actions a VPC-attached function's role needs to manage its
// network interfaces, as in the AWS managed policy AWSLambdaVPCAccessExecutionRole
// (without its logs:* on "*", which the per-function log statement replaces). AWS
// does not support resource-level permissions for them, so their Resource is "*":
// the one allowed exception to naming each resource.
var vpcENIActions = []string{
	"ec2:CreateNetworkInterface",
	"ec2:DescribeNetworkInterfaces",
	"ec2:DescribeSubnets",
	"ec2:DeleteNetworkInterface",
	"ec2:AssignPrivateIpAddresses",
	"ec2:UnassignPrivateIpAddresses",
}

// FunctionsArgs configures Functions.
type FunctionsArgs struct {
	// Shape is the topology's parts: which functions, how the fetch is handed over.
	Shape planner.Shape
	// NamePrefix prefixes physical names (functions, log groups, queue): "<project>-<stack>".
	NamePrefix string
	// Build and BuildDir build the handlers inside the program.
	Build    Builder
	BuildDir string
	// Architecture is the Lambda architecture, "arm64" or "x86_64".
	Architecture string
	// MemoryMB, LogRetentionDays, MaxRetries and MaxEventAgeSeconds tune every function.
	MemoryMB, LogRetentionDays, MaxRetries, MaxEventAgeSeconds int
	// Partition, Region and AccountID build ARNs that have no resource to read them from.
	Partition, Region, AccountID string
	// SubnetIDs and SecurityGroupID attach the VPC functions (writer or relay).
	SubnetIDs       pulumi.StringArrayInput
	SecurityGroupID pulumi.StringInput
	// IPv6 lets the VPC function use IPv6 on dual-stack subnets.
	IPv6 bool
	// DB is where the writer or relay stores; DBName and DBUser name the database and user.
	DB             *Database
	DBName, DBUser string
	// SourceURL is the third-party API.
	SourceURL string
	// AsyncLimitBytes is the asynchronous invocation payload limit from the price book.
	AsyncLimitBytes int64
	// Spill lets a record-handoff fetcher spill oversized records to S3.
	Spill bool
	// RecordsKey and RecordsTable configure the writer's records mode.
	RecordsKey, RecordsTable string
	// SourceHeaders are the source's secret request headers as stored (a JSON object,
	// config.SourceHeaders.Encoded); "" for none. They go into an SSM SecureString (secret.go).
	SourceHeaders string
}

// Functions are the Lambda functions of a stack with their roles, log groups, async
// invoke configs, the dead-letter queue and (when the shape needs one) the handoff bucket.
type Functions struct {
	pulumi.ResourceState

	// ByRole holds each function of the shape by its role.
	ByRole map[planner.Role]*lambda.Function
	// Names holds each function's physical name by its role (naming.FunctionName).
	Names map[planner.Role]string
	// Scheduled is the function the schedule invokes (the shape's first).
	Scheduled *lambda.Function
	// DLQ receives the failure records of every function whose records fit it (the shape's
	// planner.FailureQueue sink) and the schedule's dead letters.
	DLQ *sqs.Queue
	// Bucket is the handoff bucket, nil when not needed.
	Bucket *s3.BucketV2
	// SourceHeaders is the SSM parameter holding the source's secret headers, nil without.
	SourceHeaders *ssm.Parameter
	// FailureBucket keeps the failure records the queue cannot hold (the planner.FailureBucket
	// sink: the writer behind a record handoff), nil when no function needs it.
	FailureBucket *s3.BucketV2
	// Setup is the one-shot invocation of the storing function that makes the writer's role,
	// grants and schema with the master credentials, nil for an existing database. The
	// schedule waits for it.
	Setup *lambda.Invocation
}

// role is one function to create: its facts, what it may touch beyond its log group and
// the DLQ, and its environment.
type role struct {
	planner.Function
	grants []grant
	env    pulumi.StringMapInput
}

// NewFunctions registers the Functions component named name: one function per role of
// args.Shape, created last to first so that an onSuccess target exists before its source.
func NewFunctions(ctx *pulumi.Context, name string, args *FunctionsArgs, opts ...pulumi.ResourceOption) (*Functions, error) {
	if args == nil || args.Build == nil || args.DB == nil || len(args.Shape.Functions) == 0 {
		return nil, fmt.Errorf("functions %s: args with a Shape, Build and DB are required", name)
	}
	goarch, err := goArch(args.Architecture)
	if err != nil {
		return nil, fmt.Errorf("functions %s: %w", name, err)
	}
	f := &Functions{ByRole: map[planner.Role]*lambda.Function{}, Names: map[planner.Role]string{}}
	if err := ctx.RegisterComponentResource("lambdabridge:functions:Functions", name, f, opts...); err != nil {
		return nil, fmt.Errorf("register functions %s: %w", name, err)
	}
	parent := pulumi.Parent(f)
	fail := func(what string, err error) (*Functions, error) {
		return nil, fmt.Errorf("functions %s: %s: %w", name, what, err)
	}

	f.DLQ, err = sqs.NewQueue(ctx, name+"-dlq", &sqs.QueueArgs{
		Name:                    pulumi.String(args.NamePrefix + "-dlq"),
		MessageRetentionSeconds: pulumi.Int(planner.FailureRetentionDays * 24 * 3600),
		// The provider's largest (and default) size, stated: the planner routes every
		// failure record larger than this to the failure bucket.
		MaxMessageSize:       pulumi.Int(planner.DLQMaxMessageBytes),
		SqsManagedSseEnabled: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return fail("dead-letter queue", err)
	}
	if args.Shape.NeedsBucket(args.Spill) {
		if f.Bucket, err = newBucket(ctx, name+"-bucket", handoffObjects, parent); err != nil {
			return fail("bucket", err)
		}
	}
	if args.Shape.NeedsFailureBucket() {
		if f.FailureBucket, err = newBucket(ctx, name+"-failures", failureRecords, parent); err != nil {
			return fail("failure bucket", err)
		}
	}
	if f.SourceHeaders, err = newSourceHeaders(ctx, name, args, parent); err != nil {
		return fail("source headers", err)
	}

	build := func(r planner.Role) (pulumi.Archive, error) {
		pkg, err := lambdas.Package(r)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(args.BuildDir, string(r))
		bin, err := args.Build(ctx.Context(), pkg, goarch, dir)
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", pkg, err)
		}
		zipPath := filepath.Join(dir, "bootstrap.zip")
		if err := zipBootstrap(bin, zipPath); err != nil {
			return nil, err
		}
		return pulumi.NewFileArchive(zipPath), nil
	}

	for i := len(args.Shape.Functions) - 1; i >= 0; i-- {
		r := args.Shape.Functions[i]
		spec, err := f.roleOf(r, args)
		if err != nil {
			return fail(string(r), err)
		}
		f.Names[r] = naming.FunctionName(args.NamePrefix, r)
		fn, err := newFunction(ctx, name, f.Names[r], spec, args, build, parent)
		if err != nil {
			return fail(string(r), err)
		}
		f.ByRole[r] = fn
		if spec.Stores && args.DB.AdminUser != "" {
			if f.Setup, err = databaseSetup(ctx, name, fn, args, parent); err != nil {
				return fail(string(r), err)
			}
		}
		if err := asyncConfig(ctx, name+"-"+string(r)+"-async", fn, f.ByRole[args.Shape.OnSuccess(r)], f.failureArn(r, args.Shape), args, parent); err != nil {
			return fail(string(r), err)
		}
	}
	if args.Shape.Handoff == planner.HandoffObject {
		if err := notifyWriter(ctx, name, f.Bucket, f.ByRole[planner.Writer], args.AccountID, parent); err != nil {
			return fail("bucket notification", err)
		}
	}
	f.Scheduled = f.ByRole[args.Shape.Scheduled()]

	outs := pulumi.Map{"dlqUrl": f.DLQ.Url, "scheduledArn": f.Scheduled.Arn}
	for r, fn := range f.ByRole {
		outs[string(r)+"Name"] = fn.Name
	}
	if f.FailureBucket != nil {
		outs["failureBucket"] = f.FailureBucket.Bucket
	}
	if err := ctx.RegisterResourceOutputs(f, outs); err != nil {
		return fail("outputs", err)
	}
	return f, nil
}

// failureArn is where function r's failure records go (its onFailure destination): the
// failure bucket or the dead-letter queue, as the shape routes them.
func (f *Functions) failureArn(r planner.Role, shape planner.Shape) pulumi.StringOutput {
	if shape.FailureSink(r) == planner.FailureBucket {
		return f.FailureBucket.Arn
	}
	return f.DLQ.Arn
}

// failureGrants are what function r's role needs for its onFailure destination (Lambda
// delivers with the function's role): sqs:SendMessage on the queue, or s3:PutObject and
// s3:ListBucket on the failure bucket (Lambda's S3 destination needs both,
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
func (f *Functions) failureGrants(r planner.Role, shape planner.Shape) []grant {
	if shape.FailureSink(r) == planner.FailureBucket {
		return []grant{
			{"WriteFailureRecords", []string{"s3:PutObject"}, pulumi.StringArray{pulumi.Sprintf("%s/*", f.FailureBucket.Arn)}},
			{"ListFailureBucket", []string{"s3:ListBucket"}, pulumi.StringArray{f.FailureBucket.Arn}},
		}
	}
	return []grant{{"SendFailuresToDLQ", []string{"sqs:SendMessage"}, pulumi.StringArray{f.DLQ.Arn}}}
}

// roleOf is what function r may touch and its environment: a fetcher the source (and the
// bucket, which it writes), a storing function the database (and the bucket, which it
// reads), an onSuccess source its target. Functions created earlier (the target) are in
// f.ByRole.
func (f *Functions) roleOf(r planner.Role, args *FunctionsArgs) (role, error) {
	fact, err := planner.FunctionOf(r)
	if err != nil {
		return role{}, err
	}
	env, err := environmentOf(r, args, f.Bucket)
	if err != nil {
		return role{}, err
	}
	out := role{Function: fact, env: env}
	if fact.Stores && args.DB.Auth == store.AuthIAM {
		dbConnect := pulumi.StringArray{pulumi.Sprintf("arn:%s:rds-db:%s:%s:dbuser:%s/%s", args.Partition, args.Region, args.AccountID, args.DB.ResourceID, args.DBUser)}
		out.grants = append(out.grants, grant{"ConnectAsWriter", []string{"rds-db:connect"}, dbConnect})
	}
	if g, ok := f.secretGrant(fact); ok {
		out.grants = append(out.grants, g)
	}
	if target := args.Shape.OnSuccess(r); target != "" {
		// The onSuccess destination invokes the target with this function's role.
		out.grants = append(out.grants, grant{"InvokeWriterDestination", []string{"lambda:InvokeFunction"}, pulumi.StringArray{f.ByRole[target].Arn}})
	}
	if f.Bucket != nil && fact.Fetches != fact.Stores {
		objects := pulumi.StringArray{pulumi.Sprintf("%s/%s*", f.Bucket.Arn, blob.DefaultPrefix)}
		if fact.Fetches {
			out.grants = append(out.grants, grant{"PutHandoffObjects", []string{"s3:PutObject"}, objects})
		} else {
			out.grants = append(out.grants, grant{"ReadHandoffObjects", []string{"s3:GetObject"}, objects})
		}
	}
	out.grants = append(out.grants, f.failureGrants(r, args.Shape)...)
	return out, nil
}

// newFunction creates one function with its log group, role and inline policy.
func newFunction(ctx *pulumi.Context, comp, fnName string, r role, args *FunctionsArgs,
	build func(planner.Role) (pulumi.Archive, error), parent pulumi.ResourceOption) (*lambda.Function, error) {
	base := comp + "-" + string(r.Role)
	code, err := build(r.Role)
	if err != nil {
		return nil, err
	}
	logName := "/aws/lambda/" + fnName
	logs, err := cloudwatch.NewLogGroup(ctx, base+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(logName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("log group: %w", err)
	}
	iamRole, err := iam.NewRole(ctx, base+"-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("lambda.amazonaws.com")),
		Description:      pulumi.String("lambdabridge " + string(r.Role) + ": least privilege"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("role: %w", err)
	}
	grants := []grant{
		{"WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, pulumi.StringArray{pulumi.Sprintf("%s:*", logs.Arn)}},
	}
	grants = append(grants, r.grants...)
	if r.InVPC {
		grants = append(grants, grant{"VpcNetworkInterfaces", vpcENIActions, pulumi.StringArray{pulumi.String("*")}})
	}
	pol, err := iam.NewRolePolicy(ctx, base+"-policy", &iam.RolePolicyArgs{
		Role:   iamRole.Name,
		Policy: policyJSON(grants),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("role policy: %w", err)
	}
	arch := args.Architecture
	fa := &lambda.FunctionArgs{
		Name:          pulumi.String(fnName),
		Runtime:       pulumi.String("provided.al2023"),
		Handler:       pulumi.String("bootstrap"),
		Architectures: pulumi.StringArray{pulumi.String(arch)},
		Code:          code,
		Role:          iamRole.Arn,
		MemorySize:    pulumi.Int(args.MemoryMB),
		Timeout:       pulumi.Int(r.TimeoutSeconds),
		Environment:   &lambda.FunctionEnvironmentArgs{Variables: r.env},
	}
	if r.InVPC {
		vc := &lambda.FunctionVpcConfigArgs{
			SubnetIds:        args.SubnetIDs,
			SecurityGroupIds: pulumi.StringArray{args.SecurityGroupID},
		}
		if args.IPv6 {
			vc.Ipv6AllowedForDualStack = pulumi.Bool(true)
		}
		fa.VpcConfig = vc
	}
	fn, err := lambda.NewFunction(ctx, base, fa, parent, pulumi.DependsOn([]pulumi.Resource{logs, pol}))
	if err != nil {
		return nil, fmt.Errorf("function: %w", err)
	}
	return fn, nil
}

// databaseSetup invokes the storing function fn once, synchronously, with the setup event
// (store.SetupEvent): the master user and password, as a Pulumi secret input, so the password
// reaches the database through this payload only and no function's configuration holds it.
// The provider invokes again when the input changes (a new password: CREATE_ONLY replaces
// the invocation) or a trigger does: a new schema version, another writer user or records
// table, another database. The setup is idempotent; a function error fails the deploy.
func databaseSetup(ctx *pulumi.Context, comp string, fn *lambda.Function, args *FunctionsArgs, parent pulumi.ResourceOption) (*lambda.Invocation, error) {
	admin := args.DB.AdminUser
	input := pulumi.ToSecret(args.DB.AdminPassword.ApplyT(func(password string) (string, error) {
		b, err := store.NewSetupEvent(admin, password)
		return string(b), err
	})).(pulumi.StringOutput)
	inv, err := lambda.NewInvocation(ctx, comp+"-db-setup", &lambda.InvocationArgs{
		FunctionName: fn.Name,
		Input:        input,
		Triggers: pulumi.StringMap{
			"schemaVersion": pulumi.String(strconv.Itoa(store.SchemaVersion)),
			"writer":        pulumi.String(args.DBUser),
			"recordsTable":  pulumi.String(args.RecordsTable),
			"database":      pulumi.Sprintf("%s:%d/%s", args.DB.Host, args.DB.Port, args.DBName),
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{fn, args.DB}))
	if err != nil {
		return nil, fmt.Errorf("database setup invocation: %w", err)
	}
	return inv, nil
}

// asyncConfig sets retries and event age, and routes failures to onFailure (the DLQ or the
// failure bucket) and (for the destination fetcher) successes to the writer.
func asyncConfig(ctx *pulumi.Context, name string, fn, onSuccess *lambda.Function, onFailure pulumi.StringInput, args *FunctionsArgs, parent pulumi.ResourceOption) error {
	dc := &lambda.FunctionEventInvokeConfigDestinationConfigArgs{
		OnFailure: &lambda.FunctionEventInvokeConfigDestinationConfigOnFailureArgs{Destination: onFailure},
	}
	if onSuccess != nil {
		dc.OnSuccess = &lambda.FunctionEventInvokeConfigDestinationConfigOnSuccessArgs{Destination: onSuccess.Arn}
	}
	if _, err := lambda.NewFunctionEventInvokeConfig(ctx, name, &lambda.FunctionEventInvokeConfigArgs{
		FunctionName:             fn.Name,
		MaximumRetryAttempts:     pulumi.Int(args.MaxRetries),
		MaximumEventAgeInSeconds: pulumi.Int(args.MaxEventAgeSeconds),
		DestinationConfig:        dc,
	}, parent); err != nil {
		return fmt.Errorf("async invoke config: %w", err)
	}
	return nil
}

// expiry is what a bucket keeps and for how long: its lifecycle rule.
type expiry struct {
	ruleID, prefix string
	days           int
}

var (
	// handoffObjects: the handoff bucket's envelopes live a day (the writer reads them at once).
	handoffObjects = expiry{"expire-handoffs", blob.DefaultPrefix, 1}
	// failureRecords: the failure bucket's records live as long as the dead-letter queue's.
	failureRecords = expiry{"expire-failure-records", planner.FailureKeyPrefix, planner.FailureRetentionDays}
)

// newBucket creates a private, encrypted bucket named base (its parts base-public-access,
// base-encryption, base-expiry) whose objects under exp.prefix expire after exp.days.
func newBucket(ctx *pulumi.Context, base string, exp expiry, parent pulumi.ResourceOption) (*s3.BucketV2, error) {
	b, err := s3.NewBucketV2(ctx, base, &s3.BucketV2Args{ForceDestroy: pulumi.Bool(true)}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketPublicAccessBlock(ctx, base+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                b.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent); err != nil {
		return nil, fmt.Errorf("public access block: %w", err)
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, base+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: b.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, parent); err != nil {
		return nil, fmt.Errorf("encryption: %w", err)
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, base+"-expiry", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: b.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String(exp.ruleID),
			Status:     pulumi.String("Enabled"),
			Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(exp.prefix)},
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(exp.days)},
		}},
	}, parent); err != nil {
		return nil, fmt.Errorf("lifecycle: %w", err)
	}
	return b, nil
}

// notifyWriter makes S3 invoke the writer (asynchronously) for each new handoff object.
func notifyWriter(ctx *pulumi.Context, comp string, b *s3.BucketV2, writer *lambda.Function, account string, parent pulumi.ResourceOption) error {
	perm, err := lambda.NewPermission(ctx, comp+"-writer-from-s3", &lambda.PermissionArgs{
		Action:        pulumi.String("lambda:InvokeFunction"),
		Function:      writer.Name,
		Principal:     pulumi.String("s3.amazonaws.com"),
		SourceArn:     b.Arn,
		SourceAccount: pulumi.String(account),
	}, parent)
	if err != nil {
		return fmt.Errorf("permission: %w", err)
	}
	if _, err := s3.NewBucketNotification(ctx, comp+"-bucket-notification", &s3.BucketNotificationArgs{
		Bucket: b.ID(),
		LambdaFunctions: s3.BucketNotificationLambdaFunctionArray{&s3.BucketNotificationLambdaFunctionArgs{
			LambdaFunctionArn: writer.Arn,
			Events:            pulumi.StringArray{pulumi.String("s3:ObjectCreated:*")},
			FilterPrefix:      pulumi.String(blob.DefaultPrefix),
		}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{perm})); err != nil {
		return fmt.Errorf("notification: %w", err)
	}
	return nil
}

// goArch maps a Lambda architecture to GOARCH.
func goArch(lambdaArch string) (string, error) {
	switch lambdaArch {
	case "arm64", "":
		return "arm64", nil
	case "x86_64":
		return "amd64", nil
	}
	return "", fmt.Errorf("architecture %q: want arm64 or x86_64", lambdaArch)
}

// zipBootstrap writes a reproducible zip holding bin as an executable `bootstrap`.
// Pulumi's own archives drop the executable bit (pulumi/pulumi#3593, #5010), and a
// provided.al2023 bootstrap must be executable; a zip FileArchive is uploaded as is.
// Fixed name, mode and time make identical binaries give identical zips: no diff.
func zipBootstrap(bin, zipPath string) error {
	in, err := os.Open(bin)
	if err != nil {
		return fmt.Errorf("zip bootstrap: %w", err)
	}
	defer in.Close()
	out, err := os.Create(zipPath)
	if err != nil {
		return fmt.Errorf("zip bootstrap: %w", err)
	}
	zw := zip.NewWriter(out)
	fh := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)}
	fh.SetMode(0o755)
	w, err := zw.CreateHeader(fh)
	if err == nil {
		_, err = io.Copy(w, in)
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("zip bootstrap %s: %w", zipPath, err)
	}
	return nil
}
