package lambdas

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdabridge/lambdabridge/planner"
)

// TestEveryRoleHasAMainPackage: each role any topology uses names a directory holding a
// main package.
func TestEveryRoleHasAMainPackage(t *testing.T) {
	for _, topo := range planner.AllTopologies {
		s, _ := planner.ShapeOf(topo)
		for _, r := range s.Functions {
			pkg, err := Package(r)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join("..", pkg, "main.go")); err != nil {
				t.Errorf("%s: %s has no main.go: %v", r, pkg, err)
			}
		}
	}
	if _, err := Package("scraper"); err == nil {
		t.Error("Package(scraper) accepted")
	}
}
