// Package envvartest checks a handler's environment contract: that a settings value renders
// exactly the variables expected and that parsing them gives the same settings back.
package envvartest

import (
	"reflect"
	"testing"
)

// RoundTrip checks that env(s) is exactly want, and that parse reads want back into s.
func RoundTrip[S any](t testing.TB, s S, want map[string]string, env func(S) map[string]string, parse func(getenv func(string) string) (S, error)) {
	t.Helper()
	got := env(s)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Env() = %v\nwant     %v", got, want)
	}
	back, err := parse(func(k string) string { return want[k] })
	if err != nil {
		t.Fatalf("parse %v: %v", want, err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("parsed back %+v\nwant        %+v", back, s)
	}
}
