package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lambdabridge/lambdabridge/planner"
)

// TestProgramProvisionsWhatIsPriced: every quantity the planner prices is the quantity the
// program provisions, for every topology: the database's class and gp3 storage, the NAT
// instance's type and root volume, each function's memory and architecture, the number of
// alarms, and the functions themselves (one per role of the topology's shape).
func TestProgramProvisionsWhatIsPriced(t *testing.T) {
	for _, topo := range planner.AllTopologies {
		t.Run(string(topo), func(t *testing.T) {
			cfg := with(map[string]string{"lambdabridge:topology": string(topo), "lambdabridge:memoryMB": "256", "lambdabridge:architecture": "x86_64"})
			rep, _ := planFor(t, cfg)
			m, err := runProgram(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			chosen := rep.Find(rep.Chosen)
			priced := func(lines []planner.CostLine, label string) planner.CostLine {
				t.Helper()
				for _, l := range lines {
					if strings.Contains(l.Item, label) {
						return l
					}
				}
				t.Fatalf("no priced line with %q in %v", label, lines)
				return planner.CostLine{}
			}

			db := m.named(t, "aws:rds/instance:Instance", "database-postgres")
			if got := fmt.Sprint(db.in["instanceClass"]); got != planner.DatabaseInstanceClass || !strings.Contains(priced(rep.Common, "RDS").Item, got) {
				t.Errorf("database class %s; the planner prices %q", got, priced(rep.Common, "RDS").Item)
			}
			storage := priced(rep.Common, "RDS gp3 storage")
			if got := db.in["allocatedStorage"]; fmt.Sprint(got) != fmt.Sprint(storage.Quantity) || db.in["storageType"] != "gp3" {
				t.Errorf("database storage %v GB %v; the planner prices %v GB-months of gp3", got, db.in["storageType"], storage.Quantity)
			}

			nat := m.byType("aws:ec2/instance:Instance")
			if shape, _ := planner.ShapeOf(topo); shape.Egress == planner.EgressNATInstance {
				if len(nat) != 1 {
					t.Fatalf("%d NAT instances, want 1", len(nat))
				}
				if got := fmt.Sprint(nat[0].in["instanceType"]); !strings.Contains(priced(chosen.Lines, "NAT instance").Item, got) {
					t.Errorf("NAT instance type %s; the planner prices %q", got, priced(chosen.Lines, "NAT instance").Item)
				}
				root, _ := nat[0].in["rootBlockDevice"].(map[string]interface{})
				disk := priced(chosen.Lines, "root volume")
				if fmt.Sprint(root["volumeSize"]) != fmt.Sprint(disk.Quantity) || root["volumeType"] != "gp3" {
					t.Errorf("NAT root volume %v; the planner prices %v GB-months of gp3", root, disk.Quantity)
				}
			} else if len(nat) != 0 {
				t.Errorf("%d EC2 instances in %s, which prices none", len(nat), topo)
			}

			fns := m.byType("aws:lambda/function:Function")
			if shape, _ := planner.ShapeOf(topo); len(fns) != len(shape.Functions) {
				t.Errorf("%d functions; the shape (and the invocation count: %d per run) has %d", len(fns), chosen.Usage.Invocations/rep.RunsPerMonth, len(shape.Functions))
			}
			for _, fn := range fns {
				arch, _ := fn.in["architectures"].([]interface{})
				if fmt.Sprint(fn.in["memorySize"]) != fmt.Sprint(rep.Assumptions.MemoryMB) || len(arch) != 1 || arch[0] != rep.Assumptions.Architecture {
					t.Errorf("%s: %v MB %v; the planner priced %d MB %s", fn.name, fn.in["memorySize"], arch, rep.Assumptions.MemoryMB, rep.Assumptions.Architecture)
				}
			}
			if got := len(m.byType("aws:cloudwatch/metricAlarm:MetricAlarm")); got != rep.Guardrail.Alarms {
				t.Errorf("%d alarms; the planner prices %d", got, rep.Guardrail.Alarms)
			}
		})
	}
}
