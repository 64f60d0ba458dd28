package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/config"
	"github.com/lambdabridge/lambdabridge/infra"
	"github.com/lambdabridge/lambdabridge/internal/lambdabuild"
	"github.com/lambdabridge/lambdabridge/planner"
)

// program is the Pulumi program with the real in-program handler build.
func program(ctx *pulumi.Context) error {
	outputs, err := deploy(ctx, deployOptions{Build: buildHandler})
	for k, v := range outputs {
		ctx.Export(k, v)
	}
	return err
}

// deployOptions are the seams tests replace: the handler build and where it writes.
type deployOptions struct {
	Build infra.Builder
	// BuildDir holds one directory per function; empty means .build/<stack> (git-ignored).
	BuildDir string
	// Report receives the text report; nil means ctx.Log.Info (Diagnostics in preview).
	Report func(text string)
}

// buildHandler builds a handler from the project directory (Pulumi runs the program there).
func buildHandler(ctx context.Context, pkg, goarch, outDir string) (string, error) {
	root, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	return lambdabuild.Build(ctx, lambdabuild.Options{Package: pkg, Arch: goarch, OutDir: outDir, ModuleRoot: root})
}

// deploy is config -> plan -> report -> provision, with an injectable handler build.
// It returns the stack outputs: topology, monthlyEstimateUSD and reportJSON as soon as
// the topology is settled (even if provisioning then fails), the rest once provisioned.
func deploy(ctx *pulumi.Context, o deployOptions) (outputs pulumi.Map, err error) {
	cfg, err := config.Decode(config.SourceFunc(ctx.GetConfig))
	if err != nil {
		return outputs, fmt.Errorf("stack config: %w", err)
	}
	// A value the planner refuses (a topology it finds invalid, with its reasons) names its
	// stack key, and preview fails before anything is provisioned.
	plan, err := cfg.Plan()
	if err != nil {
		return outputs, fmt.Errorf("plan (nothing was provisioned): %w", err)
	}
	in, report := plan.Input, plan.Report // memory and architecture as planned are what gets deployed
	var text, js bytes.Buffer
	if err := planner.Render(&text, report, "text"); err != nil {
		return outputs, fmt.Errorf("render report: %w", err)
	}
	if err := planner.Render(&js, report, "json"); err != nil {
		return outputs, fmt.Errorf("render report: %w", err)
	}
	if o.Report == nil {
		o.Report = func(text string) { _ = ctx.Log.Info(text, nil) }
	}
	o.Report(text.String())

	// The planner honours lambdabridge:topology: the report, its total (topology + common
	// + guardrails) and what is provisioned are one topology.
	topo, monthly := report.Chosen, report.TotalMonthlyUSD
	if cfg.SourceURL == "" {
		return outputs, fmt.Errorf("stack config: %s:sourceUrl is required to provision (planning works without it): the URL the %s fetches", config.Namespace, topo)
	}
	caller, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return outputs, fmt.Errorf("aws account: %w", err)
	}

	outputs = pulumi.Map{
		"topology":           pulumi.String(string(topo)),
		"monthlyEstimateUSD": pulumi.Float64(monthly),
		"reportJSON":         pulumi.String(js.String()),
	}

	prefix := ctx.Project() + "-" + ctx.Stack()
	if o.BuildDir == "" {
		o.BuildDir = filepath.Join(".build", ctx.Stack())
	}
	net, err := infra.NewNetwork(ctx, "network", &infra.NetworkArgs{
		Topology: topo, VpcID: cfg.VpcID, SubnetIDs: cfg.SubnetIDs, ExistingNAT: cfg.ExistingNAT,
		S3Endpoint: topo == planner.S3 || (topo == planner.Destination && cfg.Spill), Region: cfg.Region,
	})
	if err != nil {
		return outputs, err
	}
	db, err := infra.NewDatabase(ctx, "database", &infra.DatabaseArgs{
		VpcID: net.VpcID, SubnetIDs: net.PrivateSubnetIDs, FunctionSecurityGroupID: net.FunctionSecurityGroupID,
		Name: cfg.DBName, User: cfg.DBUser, Password: cfg.DBPassword,
		ExistingHost: cfg.ExistingDBHost, ExistingSecurityGroupID: cfg.ExistingDBSGID,
	})
	if err != nil {
		return outputs, err
	}
	fns, err := infra.NewFunctions(ctx, "functions", &infra.FunctionsArgs{
		Topology: topo, NamePrefix: prefix, Build: o.Build, BuildDir: o.BuildDir,
		Architecture: in.Architecture, MemoryMB: in.MemoryMB, LogRetentionDays: cfg.LogRetentionDays,
		MaxRetries: cfg.MaxRetries, MaxEventAgeSeconds: cfg.MaxEventAgeSeconds,
		Region: cfg.Region, AccountID: caller.AccountId,
		SubnetIDs: net.PrivateSubnetIDs, SecurityGroupID: net.FunctionSecurityGroupID, IPv6: net.IPv6,
		DB: db, DBName: cfg.DBName, DBUser: cfg.DBUser, SourceURL: cfg.SourceURL,
		AsyncLimitBytes: report.Payload.LimitBytes, Spill: cfg.Spill, RecordsKey: cfg.RecordsKey, RecordsTable: cfg.RecordsTable,
	})
	if err != nil {
		return outputs, err
	}
	// Deploy the parser's normalised form: it accepts spacing and case AWS may not.
	sched, err := planner.ParseSchedule(cfg.Schedule)
	if err != nil {
		return outputs, fmt.Errorf("stack config: %w", err)
	}
	if _, err := infra.NewSchedule(ctx, "schedule", &infra.ScheduleArgs{
		Expression: sched.String(), TargetArn: fns.Scheduled.Arn,
	}); err != nil {
		return outputs, err
	}
	ga := &infra.GuardrailsArgs{
		NamePrefix: prefix, Functions: fns.AsyncNames, DLQName: fns.DLQ.Name,
		AlarmEmail: cfg.AlarmEmail, RecordAlarmPercent: cfg.RecordAlarmPercent,
		BudgetUSD: monthly * cfg.BudgetFactor,
	}
	if topo == planner.Destination {
		ga.DestinationFunction, ga.RecordFunction = fns.FetcherName, fns.FetcherName
	}
	if _, err := infra.NewGuardrails(ctx, "guardrails", ga); err != nil {
		return outputs, err
	}

	for key, fn := range map[string]string{"fetcherName": fns.FetcherName, "writerName": fns.WriterName, "relayName": fns.RelayName} {
		if fn != "" {
			outputs[key] = pulumi.String(fn)
		}
	}
	outputs["dlqUrl"] = fns.DLQ.Url
	outputs["dbEndpoint"] = pulumi.Sprintf("%s:%d", db.Host, db.Port)
	return outputs, nil
}
