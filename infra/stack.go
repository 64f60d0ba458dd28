package infra

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/config"
	"github.com/lambdabridge/lambdabridge/planner"
)

// StackArgs is what NewStack provisions: a stack's settings and the plan made from them.
type StackArgs struct {
	// Config is the decoded stack configuration.
	Config config.Config
	// Plan is the planner's report on Config; its Chosen topology is provisioned, with the
	// memory, architecture and async limit it priced.
	Plan *planner.Report
	// NamePrefix prefixes physical names: "<project>-<stack>".
	NamePrefix string
	// AccountID is the AWS account deployed to (for ARNs no resource hands out).
	AccountID string
	// Build and BuildDir build the handlers inside the program.
	Build    Builder
	BuildDir string
	// Now is the clock (time.Now): it stamps a new database's final snapshot identifier.
	Now func() time.Time
}

// Stack is a provisioned plan: its five components and the stack outputs they make.
type Stack struct {
	Network    *Network
	Database   *Database
	Functions  *Functions
	Schedule   *Schedule
	Guardrails *Guardrails
	// Outputs are the stack outputs: each function's name (fetcherName, writerName,
	// relayName), dlqUrl, failureBucket (where there is one) and dbEndpoint.
	Outputs pulumi.Map
}

// sourcePort is the port a VPC function reaches the source on: the URL's own, or its
// scheme's (443 for https, 80 for http).
func sourcePort(raw string) (int, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return 0, err
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return 0, fmt.Errorf("port %q: want 1-65535", p)
		}
		return n, nil
	}
	switch u.Scheme {
	case "https":
		return 443, nil
	case "http":
		return 80, nil
	}
	return 0, fmt.Errorf("scheme %q: want http or https", u.Scheme)
}

// NewStack provisions args.Plan's chosen topology: the parts its planner.Shape names, no
// more. It is a function, not a component of its own, so the five components stay at the
// top of the stack and keep the URNs that deployed stacks already have.
func NewStack(ctx *pulumi.Context, args StackArgs) (*Stack, error) {
	if args.Plan == nil {
		return nil, fmt.Errorf("stack: a plan is required")
	}
	shape, err := planner.ShapeOf(args.Plan.Chosen)
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	cfg, as := args.Config, args.Plan.Assumptions
	part, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("stack: aws partition: %w", err)
	}
	// The price book and the Price List prices cover the aws partition only, and the
	// planner refuses regions it cannot price; say so plainly for aws-cn and aws-us-gov.
	if part.Partition != "aws" {
		return nil, fmt.Errorf("stack: region %s is in the %s partition: lambdabridge plans and deploys in the aws partition only", cfg.Region, part.Partition)
	}
	port, err := sourcePort(cfg.SourceURL)
	if err != nil {
		return nil, fmt.Errorf("stack config: %s:sourceUrl: %w", config.Namespace, err)
	}
	headers := cfg.SourceHeaders.Encoded()
	if cfg.SourceHeaders.IsSet() && headers == "" {
		return nil, fmt.Errorf("stack config: %s:sourceHeaders is set but its value could not be read", config.Namespace)
	}
	var secretAccess planner.SecretAccess
	if headers != "" {
		secretAccess = VPCSecretAccess(shape)
	}
	st := &Stack{}
	if st.Network, err = NewNetwork(ctx, "network", &NetworkArgs{
		Egress: shape.Egress, S3Endpoint: shape.NeedsS3Endpoint(cfg.Spill),
		VpcID: cfg.VpcID, SubnetIDs: cfg.SubnetIDs, ExistingNAT: cfg.ExistingNAT,
		Region: cfg.Region, ReverseDNSPrefix: part.ReverseDnsPrefix, SourcePort: port, NatAMI: cfg.NatAMI,
		SecretAccess: secretAccess,
	}); err != nil {
		return nil, err
	}
	if st.Database, err = NewDatabase(ctx, "database", &DatabaseArgs{
		VpcID: st.Network.VpcID, SubnetIDs: st.Network.PrivateSubnetIDs, FunctionSecurityGroupID: st.Network.FunctionSecurityGroupID,
		Name: cfg.DBName, User: cfg.DBUser, Password: cfg.DBPassword,
		ExistingHost: cfg.ExistingDBHost, ExistingSecurityGroupID: cfg.ExistingDBSGID,
		ExistingResourceID: cfg.ExistingDBResourceID, PasswordInEnvironment: cfg.DBPasswordInEnvironment,
		NamePrefix: args.NamePrefix, DeletionProtection: cfg.DeletionProtection, BackupRetentionDays: cfg.BackupRetentionDays, Now: args.Now,
	}); err != nil {
		return nil, err
	}
	if st.Functions, err = NewFunctions(ctx, "functions", &FunctionsArgs{
		Shape: shape, NamePrefix: args.NamePrefix, Build: args.Build, BuildDir: args.BuildDir,
		Architecture: as.Architecture, MemoryMB: as.MemoryMB, LogRetentionDays: cfg.LogRetentionDays,
		MaxRetries: cfg.MaxRetries, MaxEventAgeSeconds: cfg.MaxEventAgeSeconds,
		Partition: part.Partition, Region: cfg.Region, AccountID: args.AccountID,
		SubnetIDs: st.Network.PrivateSubnetIDs, SecurityGroupID: st.Network.FunctionSecurityGroupID, IPv6: st.Network.IPv6,
		DB: st.Database, DBName: cfg.DBName, DBUser: cfg.DBUser, SourceURL: cfg.SourceURL,
		AsyncLimitBytes: args.Plan.Payload.LimitBytes, Spill: cfg.Spill, RecordsKey: cfg.RecordsKey, RecordsTable: cfg.RecordsTable,
		SourceHeaders: headers,
	}); err != nil {
		return nil, err
	}
	// Deploy the parser's normalised form: it accepts spacing and case AWS may not.
	sched, err := planner.ParseSchedule(cfg.Schedule)
	if err != nil {
		return nil, fmt.Errorf("stack config: %w", err)
	}
	sa := &ScheduleArgs{Expression: sched.String(), TargetArn: st.Functions.Scheduled.Arn, DLQArn: st.Functions.DLQ.Arn}
	if st.Functions.Setup != nil {
		sa.After = []pulumi.Resource{st.Functions.Setup}
	}
	if st.Schedule, err = NewSchedule(ctx, "schedule", sa); err != nil {
		return nil, err
	}
	ga := &GuardrailsArgs{
		NamePrefix: args.NamePrefix, Alarms: shape.Alarms(), FunctionNames: st.Functions.Names,
		DLQName: st.Functions.DLQ.Name, AlarmEmail: cfg.AlarmEmail, RecordAlarmPercent: cfg.RecordAlarmPercent,
		BudgetUSD: args.Plan.TotalMonthlyUSD * cfg.BudgetFactor,
	}
	if st.Functions.FailureBucket != nil {
		ga.FailureBucketName = st.Functions.FailureBucket.Bucket
	}
	if st.Guardrails, err = NewGuardrails(ctx, "guardrails", ga); err != nil {
		return nil, err
	}

	st.Outputs = pulumi.Map{
		"dlqUrl":     st.Functions.DLQ.Url,
		"dbEndpoint": pulumi.Sprintf("%s:%d", st.Database.Host, st.Database.Port),
	}
	if st.Functions.FailureBucket != nil {
		st.Outputs["failureBucket"] = st.Functions.FailureBucket.Bucket
	}
	for r, name := range st.Functions.Names {
		st.Outputs[string(r)+"Name"] = pulumi.String(name)
	}
	return st, nil
}
