package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/config"
	"github.com/lambdabridge/lambdabridge/infra"
	"github.com/lambdabridge/lambdabridge/internal/lambdabuild"
	"github.com/lambdabridge/lambdabridge/naming"
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
	// Now is the clock; nil means time.Now.
	Now func() time.Time
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
	report := plan.Report // memory, architecture and limit as planned are what gets deployed
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
	if cfg.SourceURL == "" {
		return outputs, fmt.Errorf("stack config: %s:sourceUrl is required to provision (planning works without it): the URL the %s fetches", config.Namespace, report.Chosen)
	}
	caller, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return outputs, fmt.Errorf("aws account: %w", err)
	}

	outputs = pulumi.Map{
		"topology":           pulumi.String(string(report.Chosen)),
		"monthlyEstimateUSD": pulumi.Float64(report.TotalMonthlyUSD),
		"reportJSON":         pulumi.String(js.String()),
	}

	if o.BuildDir == "" {
		o.BuildDir = filepath.Join(".build", ctx.Stack())
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	st, err := infra.NewStack(ctx, infra.StackArgs{
		Config: cfg, Plan: report, NamePrefix: naming.NamePrefix(ctx.Project(), ctx.Stack()), AccountID: caller.AccountId,
		Build: o.Build, BuildDir: o.BuildDir, Now: o.Now,
	})
	if err != nil {
		return outputs, err
	}
	for k, v := range st.Outputs {
		outputs[k] = v
	}
	return outputs, nil
}
