// Package golden compares a test's output with a golden file, and rewrites the file when
// the test runs with its package's -update flag: one helper for every golden test (reports,
// charts, pages), so each shows the same line diff and the same way to accept a change.
package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check compares got with the file at path; with update it writes got there instead. A
// difference fails t with a line diff and the command that accepts it (accept, e.g.
// "go test ./planner -run TestRenderGolden -update").
func Check(t testing.TB, path string, got []byte, update bool, accept string) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("update golden: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (%s writes it): %v", accept, err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (-want +got; %s to accept):\n%s", path, accept, Diff(string(want), string(got)))
	}
}

// Diff is a small unified-style diff (longest common subsequence of lines),
// showing changed lines with one line of context.
func Diff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte
		text string
		line int
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, op{' ', x[i], i + 1})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', x[i], i + 1})
			i++
		default:
			ops = append(ops, op{'+', y[j], j + 1})
			j++
		}
	}
	var out strings.Builder
	for k, o := range ops {
		near := o.kind != ' ' || (k > 0 && ops[k-1].kind != ' ') || (k+1 < len(ops) && ops[k+1].kind != ' ')
		if near {
			fmt.Fprintf(&out, "%c%4d %s\n", o.kind, o.line, o.text)
		}
	}
	return out.String()
}
