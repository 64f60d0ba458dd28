// Package tbtest runs test support that may call Fatalf or Skipf (a helper that needs
// PostgreSQL, fauxqs or chromium) and reports which it called, so a test can check that the
// helper skips without LAMBDABRIDGE_REQUIRE_DB and fails with it.
package tbtest

import (
	"fmt"
	"testing"
)

// Outcome is what the helper called: the message of its Fatalf or Skipf ("" if none).
type Outcome struct {
	Fatal, Skip string
}

// stopTB records a Fatalf or Skipf and stops the helper as the testing package would.
type stopTB struct {
	testing.TB
	out *Outcome
}

type stopped struct{}

func (s stopTB) Helper() {}

func (s stopTB) Fatalf(format string, a ...any) {
	s.out.Fatal = fmt.Sprintf(format, a...)
	panic(stopped{})
}

func (s stopTB) Skipf(format string, a ...any) {
	s.out.Skip = fmt.Sprintf(format, a...)
	panic(stopped{})
}

// Run calls helper with a testing.TB whose Fatalf and Skipf stop it, and returns which it
// called. Anything else the helper does goes to t.
func Run(t testing.TB, helper func(tb testing.TB)) (out Outcome) {
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stopped); !ok {
					panic(r)
				}
			}
		}()
		helper(stopTB{TB: t, out: &out})
	}()
	return out
}
