package naming

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// snapshotIDRule is RDS's rule for a final snapshot identifier, the strictest of the names
// built from the prefix: letters, digits and hyphens, a letter first, no "--", no
// trailing '-', 1-255 characters (API_DeleteDBInstance, FinalDBSnapshotIdentifier).
var snapshotIDRule = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9]|-[A-Za-z0-9])*$`)

func TestNamePrefix(t *testing.T) {
	cases := []struct {
		stack, want string
	}{
		// A name that already fits is kept as is: deployed stacks keep their names.
		{"dev", "lambdabridge-dev"},
		{"Prod-EU-2", "lambdabridge-Prod-EU-2"},
		// 13 + 43 = 56 characters: the longest kept as is (64 - len("-fetcher")).
		{strings.Repeat("a", 43), "lambdabridge-" + strings.Repeat("a", 43)},
	}
	for _, tc := range cases {
		if got := NamePrefix("lambdabridge", tc.stack); got != tc.want {
			t.Errorf("NamePrefix(%q) = %q, want %q", tc.stack, got, tc.want)
		}
	}
	// Replaced characters get the hash suffix, so stacks differing only there differ.
	a, b := NamePrefix("lambdabridge", "dev.1"), NamePrefix("lambdabridge", "dev_1")
	if a == b || !strings.HasPrefix(a, "lambdabridge-dev-1-") || len(a) != len("lambdabridge-dev-1-")+8 {
		t.Errorf("dev.1 -> %q, dev_1 -> %q: want distinct lambdabridge-dev-1-<8 hex>", a, b)
	}
}

// TestNamePrefixProperty: for stack names as Pulumi allows them (1-100 characters of
// letters, digits, '-', '_' and '.'), the prefix satisfies the strictest name rule, leaves
// room for every function name, and is the same on every run (names stay stable).
func TestNamePrefixProperty(t *testing.T) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]string{}
	for i := 0; i < 5000; i++ {
		n := 1 + rng.IntN(100)
		b := make([]byte, n)
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		stack := string(b)
		p := NamePrefix("lambdabridge", stack)
		if !snapshotIDRule.MatchString(p) || len(p) > MaxNamePrefix || len(p+"-fetcher") > 64 {
			t.Fatalf("stack %q -> prefix %q (%d chars): breaks the name rule or the 64-character function name", stack, p, len(p))
		}
		if p != NamePrefix("lambdabridge", stack) {
			t.Fatalf("stack %q: prefix not stable", stack)
		}
		if other, ok := seen[p]; ok && other != stack {
			t.Fatalf("stacks %q and %q share the prefix %q", other, stack, p)
		}
		seen[p] = stack
	}
}
