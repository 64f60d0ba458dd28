package planner

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseSchedule checks, for any input: no panic; errors start with "schedule: "; a
// parsed schedule's String() parses again to the same String() and the same Count over a
// fixed week; Count is never negative; Next agrees with Count; MonthlyRuns gives
// 0 <= avg730 <= peak.
func FuzzParseSchedule(f *testing.F) {
	for _, seed := range []string{
		"rate(1 minute)", "rate(10 minutes)", "rate(2 hours)", "rate(1 day)", "rate(1 minutes)",
		"rate(0 hours)", "rate(1.5 days)", "rate(5 weeks)", "cron(0 9 ? * MON-FRI *)",
		"cron(0/15 * * * ? *)", "cron(0 0 L * ? *)", "cron(0 0 1W * ? *)", "cron(0 0 LW * ? *)",
		"cron(0 0 ? * 6#3 *)", "cron(0 0 ? * 5L *)", "cron(0 0 30 2 ? *)", "cron(0 22-2 * * ? 2026-2030/2)",
		"cron(0 0 ? * 8 *)", "cron(0 0 * * * *)", "at(2026-12-01T00:00:00)",
	} {
		f.Add(seed)
	}
	from := utc(2026, 11, 23, 0, 0) // a Monday
	to := from.AddDate(0, 0, 7)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := ParseSchedule(expr)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "schedule: ") {
				t.Fatalf("ParseSchedule(%q) error %q lacks the \"schedule: \" prefix", expr, err)
			}
			return
		}
		n := s.Count(from, to)
		if n < 0 {
			t.Fatalf("%q: Count = %d < 0", expr, n)
		}
		s2, err := ParseSchedule(s.String())
		if err != nil {
			t.Fatalf("%q: String() %q does not parse again: %v", expr, s.String(), err)
		}
		if s2.String() != s.String() {
			t.Fatalf("%q: String() not stable: %q then %q", expr, s.String(), s2.String())
		}
		if n2 := s2.Count(from, to); n2 != n {
			t.Fatalf("%q: Count over the week %d, after re-parsing %q %d", expr, n, s.String(), n2)
		}
		// Next: nothing fires between from (exclusive) and next; next itself fires.
		if next, ok := s.Next(from); ok {
			if !next.After(from) {
				t.Fatalf("%q: Next(%s) = %s, not after", expr, from, next)
			}
			if c := s.Count(from.Add(time.Nanosecond), next); c != 0 {
				t.Fatalf("%q: Next(%s) = %s but Count before it = %d", expr, from, next, c)
			}
			if c := s.Count(next, next.Add(time.Minute)); c != 1 {
				t.Fatalf("%q: Next(%s) = %s but Count in that minute = %d", expr, from, next, c)
			}
		} else if n != 0 {
			t.Fatalf("%q: Next(%s) = none but Count over the week = %d", expr, from, n)
		}
		avg, peak, _, err := s.MonthlyRuns(from)
		if err == nil && (avg < 0 || avg > peak) {
			t.Fatalf("%q: MonthlyRuns avg730 %d, peak %d; want 0 <= avg730 <= peak", expr, avg, peak)
		}
	})
}
