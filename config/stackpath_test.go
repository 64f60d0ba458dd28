package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdabridge/lambdabridge/planner"
)

func TestStackPath(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Pulumi.yaml", "name: lambdabridge\nruntime: go\n")
	write("Pulumi.dev.yaml", "config: {}\n")
	if p, err := StackPath(dir, "dev"); err != nil || p != filepath.Join(dir, "Pulumi.dev.yaml") {
		t.Errorf("StackPath(dev) = %q, %v", p, err)
	}
	if _, err := StackPath(dir, "prod"); err == nil || !strings.Contains(err.Error(), "no stack file") || !strings.Contains(err.Error(), "stacks found: dev") {
		t.Errorf("missing stack: %v", err)
	}
	if _, err := StackPath(dir, "../dev"); err == nil {
		t.Error("a stack name with a path was accepted")
	}
	// A project with stackConfigDir keeps its stack files there.
	write("Pulumi.yaml", "name: lambdabridge\nruntime: go\nstackConfigDir: stacks\n")
	write("stacks/Pulumi.dev.yaml", "config: {}\n")
	if p, err := StackPath(dir, "dev"); err != nil || p != filepath.Join(dir, "stacks", "Pulumi.dev.yaml") {
		t.Errorf("StackPath(dev) with stackConfigDir = %q, %v", p, err)
	}
}

// TestPlanWith: the adjustment reaches the planner (measured runs double the scheduler's
// invocations); nil is Plan.
func TestPlanWith(t *testing.T) {
	c, err := Decode(planBase(nil))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	same, err := c.PlanWith(nil)
	if err != nil || same.Report.TotalMonthlyUSD != plain.Report.TotalMonthlyUSD || same.Report.RunsPerMonth != 4380 {
		t.Fatalf("PlanWith(nil) = %+v, %v", same.Report, err)
	}
	p, err := c.PlanWith(func(in *planner.Input) { in.RunsPerMonth = 8760 })
	if err != nil {
		t.Fatal(err)
	}
	if p.Report.RunsPerMonth != 8760 || p.Input.RunsPerMonth != 8760 {
		t.Errorf("runs %d (input %d), want the measured 8,760", p.Report.RunsPerMonth, p.Input.RunsPerMonth)
	}
	_, err = c.PlanWith(func(in *planner.Input) { in.RunsPerMonth = -1 })
	if err == nil || !strings.Contains(err.Error(), "runs per month: -1 is negative") {
		t.Errorf("negative runs: %v", err)
	}
}
