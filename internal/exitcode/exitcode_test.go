package exitcode

import (
	"errors"
	"flag"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"help", fmt.Errorf("parse: %w", flag.ErrHelp), 0},
		{"work failed", errors.New("dial tcp: refused"), 1},
		{"bad input", fmt.Errorf("plan: %w", &UsageError{errors.New("--memory: 64 MB")}), 2},
		{"gate", fmt.Errorf("plan: %w", &GateError{errors.New("total $49.01 exceeds --max-monthly 10")}), 3},
	}
	for _, tc := range cases {
		if got := Of(tc.err); got != tc.want {
			t.Errorf("%s: Of(%v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}
