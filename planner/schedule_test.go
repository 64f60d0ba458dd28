package planner

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Calendar used by the hand-worked figures below (weekday of the 1st of each month,
// derived from 2026-01-01 = Thursday: Jan..Oct 2026 have 304 days, 304 = 43*7 + 3, so
// 2026-11-01 is Thursday+3 = Sunday; each next 1st moves by month length mod 7):
//
//	2026: Nov Sun, Dec Tue
//	2027: Jan Fri, Feb Mon, Mar Mon, Apr Thu, May Sat, Jun Tue, Jul Thu, Aug Sun,
//	      Sep Wed, Oct Fri, Nov Mon, Dec Wed
//	2028: Jan Sat, Feb Tue (2028 is a leap year: 29 Feb is a Tuesday)

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func mustParse(t testing.TB, expr string) *Schedule {
	t.Helper()
	s, err := ParseSchedule(expr)
	if err != nil {
		t.Fatalf("ParseSchedule(%q): %v", expr, err)
	}
	return s
}

// checkNormAndDay parses expr and checks its normal form and its firings on day.
func checkNormAndDay(t *testing.T, expr, norm string, day time.Time, want int64) {
	t.Helper()
	s := mustParse(t, expr)
	if got := s.String(); got != norm {
		t.Errorf("String() = %q, want %q", got, norm)
	}
	if got := s.Count(day, day.AddDate(0, 0, 1)); got != want {
		t.Errorf("Count over %s = %d, want %d", day.Format(time.DateOnly), got, want)
	}
}

// Rate schedules fire every period counted from 1970-01-01T00:00Z. 2026-11-25 is day
// 20,782 since then (56 years 1970-2025 = 56*365 + 14 leap days = 20,454; plus Jan-Oct
// 2026 = 304 days; plus 24 = 20,782), so it starts at minute 20,782*1,440 = 29,926,080.
func TestParseRateValid(t *testing.T) {
	day := utc(2026, time.November, 25, 0, 0)
	tests := []struct {
		expr, norm string
		perDay     int64 // firings on 2026-11-25
	}{
		{"rate(1 minute)", "rate(1 minute)", 1440},         // 24*60
		{"rate(5 minutes)", "rate(5 minutes)", 288},        // 1440/5
		{"rate(10 minutes)", "rate(10 minutes)", 144},      // 1440/10
		{"rate(90 minutes)", "rate(90 minutes)", 16},       // 1440/90 = 16, day start is a multiple of 90
		{"rate(1 hour)", "rate(1 hour)", 24},               // 24/1
		{"rate(2 hours)", "rate(2 hours)", 12},             // 24/2
		{"rate(1 day)", "rate(1 day)", 1},                  // 00:00
		{"rate(2 days)", "rate(2 days)", 1},                // 20,782 is even: fires at 00:00
		{"rate(7 days)", "rate(7 days)", 0},                // 20,782 = 7*2,968 + 6: not a firing day
		{"  rate(15   minutes)\n", "rate(15 minutes)", 96}, // outer space trimmed, blank runs collapse: 1440/15
		{"rate(\t30\tminutes\t)", "rate(30 minutes)", 48},  // tabs separate too: 1440/30
		{"rate(060 minutes)", "rate(60 minutes)", 24},      // leading zero dropped: 1440/60
		{"rate(0001 minute)", "rate(1 minute)", 1440},      // value 1 (singular) despite the zeros
		// 29,926,080 mod 7: 1440 = 7*205 + 5 and 20,782 = 6 (mod 7), so 6*5 = 30 = 2 (mod 7);
		// first firing at minute 5 of the day, then every 7: (1439-5)/7 = 204, +1 = 205.
		{"rate(7 minutes)", "rate(7 minutes)", 205},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) { checkNormAndDay(t, tc.expr, tc.norm, day, tc.perDay) })
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string // substring of the error; every error also starts with "schedule: "
	}{
		// the expression as a whole
		{"", "empty expression"},
		{"   ", "empty expression"},
		{"rate 5 minutes", "neither rate(...) nor cron(...)"},
		{"RATE(5 minutes)", "neither rate(...) nor cron(...)"},
		{"every 5 minutes", "neither rate(...) nor cron(...)"},
		{"at(2026-12-01T00:00:00)", "one-time at() schedule"},
		{"rate(5 minutes", "lacks the closing parenthesis"},
		{"cron(0 0 * * ? *", "lacks the closing parenthesis"},
		{"rate((5 minutes))", "unbalanced parentheses"},
		{"cron(0 0 * * ? *))", "unbalanced parentheses"},
		{"rate(5 minutes) please", "has text after the closing parenthesis"},
		{"cron(0 0 * * ? *)x", "has text after the closing parenthesis"},
		// rate
		{"rate()", "rate: want two fields"},
		{"rate(5)", "rate: want two fields"},
		{"rate(5 minutes please)", "rate: want two fields"},
		{"rate(1 minutes)", `value 1 needs the singular "minute", not "minutes"`},
		{"rate(1 hours)", `value 1 needs the singular "hour"`},
		{"rate(1 days)", `value 1 needs the singular "day"`},
		{"rate(5 minute)", `value 5 needs the plural "minutes", not "minute"`},
		{"rate(2 hour)", `value 2 needs the plural "hours"`},
		{"rate(3 day)", `value 3 needs the plural "days"`},
		{"rate(0 minutes)", `rate value: "0" must be at least 1`},
		{"rate(-5 minutes)", `rate value: "-5" is not a positive whole number`},
		{"rate(+5 minutes)", `rate value: "+5" is not a positive whole number`},
		{"rate(1.5 hours)", `rate value: "1.5" is not a positive whole number`},
		{"rate(five minutes)", `rate value: "five" is not a positive whole number`},
		{"rate(99999999999999999999 days)", `rate value: "99999999999999999999" is not a positive whole number`}, // overflows int64
		{"rate(9223372036854775807 days)", "too large"},
		{"rate(5 weeks)", `rate unit: "weeks" unknown; accepted: minute|minutes|hour|hours|day|days`},
		{"rate(5 Minutes)", `rate unit: "Minutes" unknown`},
		{"rate(5 mins)", `rate unit: "mins" unknown`},
		{"rate(5\nminutes)", `rate: want two fields`}, // a line break is not a separator
		// cron: shape and the day-of-month / day-of-week rule
		{"cron(0 0 * * ?)", "want 6 fields (minutes hours day-of-month month day-of-week year), got 5"},
		{"cron(0 0 0 * * ? *)", "want 6 fields"},
		{"cron()", "want 6 fields"},
		{"cron(0 0 ? * ? *)", "both \"?\"; exactly one of them must be \"?\""},
		{"cron(0 0 * * * *)", "are both set; AWS requires \"?\" in one of them"},
		{"cron(0 0 1 * MON *)", "are both set"},
		// cron: ranges, one per field
		{"cron(60 0 * * ? *)", `cron minutes: "60" out of range 0-59`},
		{"cron(0 24 * * ? *)", `cron hours: "24" out of range 0-23`},
		{"cron(0 0 32 * ? *)", `cron day-of-month: "32" out of range 1-31`},
		{"cron(0 0 0 * ? *)", `cron day-of-month: "0" out of range 1-31`},
		{"cron(0 0 * 13 ? *)", `cron month: "13" out of range 1-12 (or JAN-DEC)`},
		{"cron(0 0 * 0 ? *)", `cron month: "0" out of range 1-12 (or JAN-DEC)`},
		{"cron(0 0 ? * 8 *)", `schedule: "cron(0 0 ? * 8 *)": cron day-of-week: "8" out of range 1-7 (or SUN-SAT)`},
		{"cron(0 0 ? * 0 *)", `cron day-of-week: "0" out of range 1-7 (or SUN-SAT)`},
		{"cron(0 0 * * ? 1969)", `cron year: "1969" out of range 1970-2199`},
		{"cron(0 0 * * ? 2200)", `cron year: "2200" out of range 1970-2199`},
		{"cron(0 0 * * ? 2030-2027)", `cron year: "2030-2027" is a range whose start is after its end`},
		// cron: names and letters where they do not belong
		{"cron(0 0 * JANUARY ? *)", `cron month: "JANUARY" is not accepted here; accepted: 1-12 or JAN-DEC`},
		{"cron(0 0 ? * MONDAY *)", `cron day-of-week: "MONDAY" is not accepted here`},
		{"cron(0 0 ? * ſun *)", `cron day-of-week: "ſun" is not accepted here`}, // long s: no Unicode case folding
		{"cron(0 0 * ſep ? *)", `cron month: "ſep" is not accepted here`},
		{"cron(0 0 MON * ? *)", `cron day-of-month: "MON" is not accepted here`},
		{"cron(L 0 * * ? *)", `cron minutes: "L" is not accepted here; accepted: 0-59 with , - * /`},
		{"cron(0 ? * * ? *)", `cron hours: "?" is not accepted here; accepted: 0-23`},
		{"cron(0 0 * ? ? *)", `cron month: "?" is not accepted here`},
		{"cron(0 0 * * ? ?)", `cron year: "?" is not accepted here`},
		{"cron(0 0 ? * 1/2 *)", `cron day-of-week: "1/2" is not accepted here; accepted: 1-7 or SUN-SAT with , - * ? L #`},
		{"cron(0 0 1#2 * ? *)", `cron day-of-month: "1#2" is not accepted here`},
		// cron: steps and lists
		{"cron(0/0 0 * * ? *)", `cron minutes: "0/0" has step "0"; a step must be a whole number 1-59`},
		{"cron(0/60 0 * * ? *)", `a step must be a whole number 1-59`},
		{"cron(0/x 0 * * ? *)", `cron minutes: "0/x" has step "x"`},
		{"cron(0 0 ? * fri#x *)", `cron day-of-week: "fri#x" needs an occurrence`},
		{"cron(0 0 lw-1 * ? *)", `cron day-of-month: "lw-1" is not accepted here`},
		{"cron(0 */24 * * ? *)", `cron hours: "*/24" has step "24"; a step must be a whole number 1-23`},
		{"cron(1,,2 0 * * ? *)", `cron minutes: "" is empty (stray comma?)`},
		{"cron(1- 0 * * ? *)", `cron minutes: "1-" has an empty value`},
		{"cron(1-2-3 0 * * ? *)", `cron minutes: "1-2-3" is not accepted here`},
		// cron: L, W, #
		{"cron(0 0 L-3 * ? *)", `cron day-of-month: "L-3" is not accepted here`},
		{"cron(0 0 L,15 * ? *)", `cron day-of-month: "L,15" is not accepted here`},
		{"cron(0 0 1-5W * ? *)", `cron day-of-month: "1-5W" is not a single day before W`},
		{"cron(0 0 W * ? *)", `"W" is not a single day before W`},
		{"cron(0 0 32W * ? *)", `cron day-of-month: "32W" out of range 1-31`},
		{"cron(0 0 0W * ? *)", `"0W" out of range 1-31`},
		{"cron(0 0 ? * 3#1,6#3 *)", `cron day-of-week: "3#1,6#3" combines # with other values`},
		{"cron(0 0 ? * 6#6 *)", `cron day-of-week: "6#6" needs an occurrence 1-5 after #`},
		{"cron(0 0 ? * 6#0 *)", `"6#0" needs an occurrence 1-5`},
		{"cron(0 0 ? * 6# *)", `"6#" needs an occurrence 1-5`},
		{"cron(0 0 ? * 8#1 *)", `cron day-of-week: "8" out of range 1-7 (or SUN-SAT)`},
		{"cron(0 0 ? * 2-6L *)", `cron day-of-week: "2-6L" combines L with other values`},
		{"cron(0 0 ? * 1,5L *)", `combines L with other values`},
		{"cron(0 0 ? * 9L *)", `cron day-of-week: "9" out of range 1-7`},
		{"cron(0 0 ? * LW *)", `cron day-of-week: "LW" is not accepted here`},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			s, err := ParseSchedule(tc.expr)
			if err == nil {
				t.Fatalf("ParseSchedule(%q) = %q, want an error containing %q", tc.expr, s, tc.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "schedule: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("ParseSchedule(%q) error = %q, want prefix \"schedule: \" and %q", tc.expr, msg, tc.want)
			}
		})
	}
}

// TestCronCountPerDay checks each wildcard through the firings it yields on one day,
// Wednesday 2026-11-25 (Nov 2026 starts on a Sunday: 1+21 = 22 is a Sunday, 25 a Wednesday).
func TestCronCountPerDay(t *testing.T) {
	day := utc(2026, time.November, 25, 0, 0)
	tests := []struct {
		expr, norm string
		want       int64
	}{
		{"cron(* * * * ? *)", "cron(* * * * ? *)", 1440},                  // 60*24
		{"cron(0 * * * ? *)", "cron(0 * * * ? *)", 24},                    // 1*24
		{"cron(0 10 * * ? *)", "cron(0 10 * * ? *)", 1},                   // 10:00
		{"cron(15,45 8,20 * * ? *)", "cron(15,45 8,20 * * ? *)", 4},       // lists: 2*2
		{"cron(0-4 0 * * ? *)", "cron(0-4 0 * * ? *)", 5},                 // range 0..4
		{"cron(0/15 * * * ? *)", "cron(0/15 * * * ? *)", 96},              // 0,15,30,45 = 4 an hour *24
		{"cron(*/5 * * * ? *)", "cron(*/5 * * * ? *)", 288},               // 12 an hour *24
		{"cron(1-30/2 0 * * ? *)", "cron(1-30/2 0 * * ? *)", 15},          // 1,3,...,29: (29-1)/2+1 = 15
		{"cron(5/20 0 * * ? *)", "cron(5/20 0 * * ? *)", 3},               // 5,25,45
		{"cron(0 22-2 * * ? *)", "cron(0 22-2 * * ? *)", 5},               // Quartz wrap: 22,23,0,1,2
		{"cron(0 22-2/2 * * ? *)", "cron(0 22-2/2 * * ? *)", 3},           // 22, 0, 2
		{"cron(0 0 25 * ? *)", "cron(0 0 25 * ? *)", 1},                   // the 25th
		{"cron(0 0 24 * ? *)", "cron(0 0 24 * ? *)", 0},                   // not the 24th
		{"cron(0 0 20-30/5 * ? *)", "cron(0 0 20-30/5 * ? *)", 1},         // 20,25,30
		{"cron(0 0 ? * WED *)", "cron(0 0 ? * WED *)", 1},                 // a Wednesday
		{"cron(0 0 ? * 4 *)", "cron(0 0 ? * 4 *)", 1},                     // 4 = WED (1 = SUN)
		{"cron(0 0 ? * 3 *)", "cron(0 0 ? * 3 *)", 0},                     // 3 = TUE
		{"cron(0 9 ? * mon-fri *)", "cron(0 9 ? * MON-FRI *)", 1},         // names in any case
		{"cron(0 9 ? * SAT-SUN *)", "cron(0 9 ? * SAT-SUN *)", 0},         // wrap 7..1
		{"cron(0 9 ? * FRI-MON *)", "cron(0 9 ? * FRI-MON *)", 0},         // wrap: FRI,SAT,SUN,MON
		{"cron(0 9 ? * TUE-THU *)", "cron(0 9 ? * TUE-THU *)", 1},         // TUE,WED,THU
		{"cron(0 9 * nov ? *)", "cron(0 9 * NOV ? *)", 1},                 // month name
		{"cron(0 9 * OCT ? *)", "cron(0 9 * OCT ? *)", 0},                 // other month
		{"cron(0 9 * NOV-FEB ? *)", "cron(0 9 * NOV-FEB ? *)", 1},         // wrap: 11,12,1,2
		{"cron(0 9 * 1/3 ? *)", "cron(0 9 * 1/3 ? *)", 0},                 // 1,4,7,10
		{"cron(0 9 * 2/3 ? *)", "cron(0 9 * 2/3 ? *)", 1},                 // 2,5,8,11
		{"cron(0 9 * * ? 2026)", "cron(0 9 * * ? 2026)", 1},               // this year
		{"cron(0 9 * * ? 2027)", "cron(0 9 * * ? 2027)", 0},               // next year
		{"cron(0 9 * * ? 2020-2030/2)", "cron(0 9 * * ? 2020-2030/2)", 1}, // 2020,2022,...,2026,...
		{"cron(0 9 * * ? 2021/2)", "cron(0 9 * * ? 2021/2)", 0},           // odd years
		{"cron(0 9 L * ? *)", "cron(0 9 L * ? *)", 0},                     // last day is the 30th
		{"cron( 0\t9   ? * 4 *  )", "cron(0 9 ? * 4 *)", 1},               // blank runs and tabs
		{"cron(0 9 l * ? *)", "cron(0 9 L * ? *)", 0},                     // letters in any case
		{"cron(0 9 25w * ? *)", "cron(0 9 25W * ? *)", 1},                 // the 25th is a Wednesday
		{"cron(0 9 ? * wed#4 *)", "cron(0 9 ? * WED#4 *)", 1},             // Wednesdays 4, 11, 18, 25
		{"cron(0 9 ? * 4l *)", "cron(0 9 ? * 4L *)", 1},                   // 25 + 7 > 30: the last one
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) { checkNormAndDay(t, tc.expr, tc.norm, day, tc.want) })
	}
}

// TestCronSpecialDays follows Next through the L, W, LW, nL, n#k forms across real months.
func TestCronSpecialDays(t *testing.T) {
	tests := []struct {
		name  string
		expr  string
		after time.Time
		want  []time.Time // the next firings, in order
	}{
		{"L: last day incl. Feb and leap Feb", "cron(0 0 L * ? *)", utc(2027, 1, 15, 0, 0),
			[]time.Time{utc(2027, 1, 31, 0, 0), utc(2027, 2, 28, 0, 0), utc(2027, 3, 31, 0, 0), utc(2027, 4, 30, 0, 0)}},
		{"L in a leap February", "cron(0 0 L 2 ? *)", utc(2027, 3, 1, 0, 0),
			[]time.Time{utc(2028, 2, 29, 0, 0), utc(2029, 2, 28, 0, 0)}},
		// 1 May 2027 is a Saturday: not Friday 30 April (W stays in the month) but Monday 3 May.
		// 1 Jun 2027 is a Tuesday; 1 Aug 2027 a Sunday -> Monday the 2nd.
		{"1W: month edge", "cron(0 0 1W * ? *)", utc(2027, 4, 30, 0, 0),
			[]time.Time{utc(2027, 5, 3, 0, 0), utc(2027, 6, 1, 0, 0), utc(2027, 7, 1, 0, 0), utc(2027, 8, 2, 0, 0)}},
		// 15 Nov 2026 is a Sunday (1+14) -> Monday 16; 15 Dec 2026 a Tuesday; 15 May 2027 a
		// Saturday (1 May Sat) -> Friday 14.
		{"15W: Sunday and Saturday", "cron(0 0 15W * ? *)", utc(2026, 11, 1, 0, 0),
			[]time.Time{utc(2026, 11, 16, 0, 0), utc(2026, 12, 15, 0, 0)}},
		{"15W: Saturday", "cron(0 0 15W 5 ? *)", utc(2027, 1, 1, 0, 0),
			[]time.Time{utc(2027, 5, 14, 0, 0)}},
		// 31 Jan 2027 is a Sunday (1 Jan Fri + 30 = Sun) -> Friday 29, not Monday 1 Feb;
		// February has no 31st; 31 Mar 2027 is a Wednesday (1 Mar Mon + 30);
		// 31 Jul 2027 a Saturday (1 Jul Thu + 30) -> Friday 30.
		{"31W: last-day edge and short months", "cron(0 0 31W * ? *)", utc(2027, 1, 1, 0, 0),
			[]time.Time{utc(2027, 1, 29, 0, 0), utc(2027, 3, 31, 0, 0), utc(2027, 5, 31, 0, 0), utc(2027, 7, 30, 0, 0)}},
		// Last weekday: 30 Nov 2026 Monday; 31 Dec 2026 Thursday; 31 Jan 2027 Sunday -> 29;
		// 28 Feb 2027 Sunday (1 Feb Mon + 27) -> Friday 26.
		{"LW: last weekday", "cron(0 0 LW * ? *)", utc(2026, 11, 1, 0, 0),
			[]time.Time{utc(2026, 11, 30, 0, 0), utc(2026, 12, 31, 0, 0), utc(2027, 1, 29, 0, 0), utc(2027, 2, 26, 0, 0)}},
		// Last Thursday: Nov 2026 Thursdays 5,12,19,26; Dec 2026 (1st Tue) 3,10,17,24,31.
		{"5L: last Thursday", "cron(30 18 ? * 5L *)", utc(2026, 11, 1, 0, 0),
			[]time.Time{utc(2026, 11, 26, 18, 30), utc(2026, 12, 31, 18, 30)}},
		{"THUL: same by name", "cron(30 18 ? * THUL *)", utc(2026, 11, 1, 0, 0),
			[]time.Time{utc(2026, 11, 26, 18, 30), utc(2026, 12, 31, 18, 30)}},
		// Third Friday: Nov 2026 Fridays 6,13,20,27; Dec 2026 4,11,18,25.
		{"6#3: third Friday", "cron(0 12 ? * 6#3 *)", utc(2026, 11, 1, 0, 0),
			[]time.Time{utc(2026, 11, 20, 12, 0), utc(2026, 12, 18, 12, 0)}},
		// Fifth Monday: Nov 2026 Mondays 2,9,16,23,30; Dec 7..28 (4); Jan 2027 4..25 (4);
		// Feb 2027 1..22 (4); Mar 2027 1,8,15,22,29.
		{"2#5: fifth Monday skips months", "cron(0 0 ? * MON#5 *)", utc(2026, 11, 1, 0, 0),
			[]time.Time{utc(2026, 11, 30, 0, 0), utc(2027, 3, 29, 0, 0)}},
		// L alone in day-of-week is 7, Saturday: 7, 14 Nov 2026.
		{"L in day-of-week: Saturday", "cron(0 0 ? * L *)", utc(2026, 11, 1, 0, 0),
			[]time.Time{utc(2026, 11, 7, 0, 0), utc(2026, 11, 14, 0, 0)}},
		{"Next is strictly after", "cron(0 9 * * ? *)", utc(2026, 11, 25, 9, 0),
			[]time.Time{utc(2026, 11, 26, 9, 0)}},
		{"year ends", "cron(0 0 31 12 ? 2026-2027)", utc(2026, 1, 1, 0, 0),
			[]time.Time{utc(2026, 12, 31, 0, 0), utc(2027, 12, 31, 0, 0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, tc.expr)
			at := tc.after
			for i, want := range tc.want {
				got, ok := s.Next(at)
				if !ok || !got.Equal(want) {
					t.Fatalf("Next #%d after %s = %s, %v; want %s", i+1, at, got, ok, want)
				}
				at = got
			}
		})
	}
}

func TestNextNone(t *testing.T) {
	for _, expr := range []string{"cron(0 0 30 2 ? *)", "cron(0 0 * * ? 2020)", "cron(0 0 31 4,6,9,11 ? *)", "cron(0 0 31W 2 ? *)"} {
		s := mustParse(t, expr)
		if got, ok := s.Next(utc(2026, 11, 25, 0, 0)); ok {
			t.Errorf("%s: Next = %s, want none", expr, got)
		}
	}
}

func TestCountRate(t *testing.T) {
	tests := []struct {
		expr     string
		from, to time.Time
		want     int64
	}{
		{"rate(10 minutes)", utc(2026, 11, 25, 0, 5), utc(2026, 11, 25, 0, 35), 3},  // 00:10, 00:20, 00:30
		{"rate(10 minutes)", utc(2026, 11, 25, 0, 10), utc(2026, 11, 25, 0, 30), 2}, // from included, to excluded: 00:10, 00:20
		{"rate(10 minutes)", utc(2026, 11, 25, 0, 10).Add(time.Nanosecond), utc(2026, 11, 25, 0, 30), 1},
		{"rate(10 minutes)", utc(2026, 11, 25, 0, 30), utc(2026, 11, 25, 0, 10), 0},                                    // reversed
		{"rate(10 minutes)", utc(2026, 12, 1, 0, 0), utc(2027, 1, 1, 0, 0), 4464},                                      // 31*24*6
		{"rate(2 hours)", utc(2026, 11, 25, 0, 0), utc(2026, 11, 26, 0, 0), 12},                                        // 24/2
		{"rate(1 day)", utc(2026, 11, 25, 12, 0), utc(2026, 11, 26, 12, 0), 1},                                         // midnight of the 26th
		{"rate(1 day)", utc(2026, 11, 1, 0, 0), utc(2026, 11, 8, 0, 0), 7},                                             // a week
		{"rate(1 minute)", utc(2027, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0), 525600},                                       // 365*1440
		{"rate(1 minute)", utc(2028, 1, 1, 0, 0), utc(2029, 1, 1, 0, 0), 527040},                                       // 366*1440
		{"rate(1 hour)", time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("X", 3600)), utc(2026, 11, 25, 10, 0), 1}, // 09:00Z..10:00Z: 09:00
	}
	for _, tc := range tests {
		s := mustParse(t, tc.expr)
		if got := s.Count(tc.from, tc.to); got != tc.want {
			t.Errorf("%s.Count(%s, %s) = %d, want %d", tc.expr, tc.from, tc.to, got, tc.want)
		}
	}
}

func TestCountCron(t *testing.T) {
	tests := []struct {
		expr     string
		from, to time.Time
		want     int64
	}{
		{"cron(* * * * ? *)", utc(2027, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0), 525600}, // 365*24*60
		{"cron(* * * * ? *)", utc(2028, 1, 1, 0, 0), utc(2029, 1, 1, 0, 0), 527040}, // 366*24*60
		// Wed 25 Nov 09:20 to Thu 26 Nov 10:00: Wed 09:30, 09:45 (2) + hours 10-17 (8*4 = 32);
		// Thu 09:00, 09:15, 09:30, 09:45 (4): 2+32+4 = 38.
		{"cron(0/15 9-17 ? * MON-FRI *)", utc(2026, 11, 25, 9, 20), utc(2026, 11, 26, 10, 0), 38},
		// Same range but starting 30 s into 09:30: 09:30 is before from, so 37.
		{"cron(0/15 9-17 ? * MON-FRI *)", utc(2026, 11, 25, 9, 30).Add(30 * time.Second), utc(2026, 11, 26, 10, 0), 37},
		// Sundays of Jan 2027 (1st Fri: 3,10,17,24,31 = 5) and Mar 2027 (1st Mon: 7,14,21,28 = 4).
		{"cron(30 8 ? JAN,MAR SUN *)", utc(2027, 1, 1, 0, 0), utc(2027, 4, 1, 0, 0), 9},
		// 1st, 11th, 21st, 31st: Nov 2026 has 3 (no 31st), Dec 2026 has 4.
		{"cron(0 0 1/10 * ? *)", utc(2026, 11, 1, 0, 0), utc(2027, 1, 1, 0, 0), 7},
		// Once a year 1970-2199 only: 2199-1970+1 = 230 firings however wide the range.
		{"cron(0 0 1 1 ? *)", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), 230},
		// Odd years 2027, 2029, 2031 in [2026, 2033).
		{"cron(0 0 1 1 ? 2027/2)", utc(2026, 1, 1, 0, 0), utc(2033, 1, 1, 0, 0), 3},
		{"cron(0 0 30 2 ? *)", utc(2026, 1, 1, 0, 0), utc(2036, 1, 1, 0, 0), 0}, // no 30 February
	}
	for _, tc := range tests {
		s := mustParse(t, tc.expr)
		if got := s.Count(tc.from, tc.to); got != tc.want {
			t.Errorf("%s.Count(%s, %s) = %d, want %d", tc.expr, tc.from, tc.to, got, tc.want)
		}
	}
}

func TestMonthlyRuns(t *testing.T) {
	asOf := time.Date(2026, 11, 25, 15, 4, 5, 0, time.UTC) // window: Nov 2026 .. Oct 2027, 365 days = 8,760 h
	tests := []struct {
		expr      string
		asOf      time.Time
		avg, peak int64
		peakMonth time.Time
	}{
		// 730*60/10 = 4,380; peak in the first 31-day month, Dec 2026: 31*1440/10 = 4,464.
		{"rate(10 minutes)", asOf, 4380, 4464, utc(2026, 12, 1, 0, 0)},
		// 730/24 = 30.42 -> 30; peak 31 in Dec 2026.
		{"rate(1 day)", asOf, 30, 31, utc(2026, 12, 1, 0, 0)},
		// 730/2 = 365; peak 31*12 = 372 in Dec 2026.
		{"rate(2 hours)", asOf, 365, 372, utc(2026, 12, 1, 0, 0)},
		// 43,800/7 = 6,257.1 -> 6,257; peak ceil(44,640/7) = ceil(6,377.1) = 6,378, the most a
		// 31-day month can hold whenever the rate started.
		{"rate(7 minutes)", asOf, 6257, 6378, utc(2026, 12, 1, 0, 0)},
		// 43,800/1,000 = 43.8 -> 44; ceil(44,640/1,000) = 45.
		{"rate(1000 minutes)", asOf, 44, 45, utc(2026, 12, 1, 0, 0)},
		// 43,800/144,000 = 0.30 -> 0; every month can hold one firing (30 days: ceil(43,200/144,000)
		// = 1), so the tie goes to the first month, Nov 2026.
		{"rate(100 days)", asOf, 0, 1, utc(2026, 11, 1, 0, 0)},
		// Weekdays per month (4 full weeks = 20, plus the weekdays among the days after the
		// 28th): Nov 2026 (1st Sun; 29 Sun, 30 Mon) 21, Dec (1st Tue; 29-31 Tue-Thu) 23,
		// Jan 2027 (Fri; 29 Fri) 21, Feb 20, Mar (Mon; 29-31 Mon-Wed) 23, Apr (Thu) 22,
		// May (Sat; 31 Mon) 21, Jun (Tue) 22, Jul (Thu; 29-30 Thu-Fri) 22, Aug (Sun; 30-31)
		// 22, Sep (Wed) 22, Oct (Fri; 29 Fri) 21. Total 260 = 52 weeks * 5 (the 365th day,
		// 31 Oct 2027, is a Sunday). avg 260/12 = 21.67 -> 22; peak 23 first in Dec 2026.
		{"cron(0 9 ? * MON-FRI *)", asOf, 22, 23, utc(2026, 12, 1, 0, 0)},
		// Calendar 2027: Jan 21, Feb 20, Mar 23, Apr 22, May 21, Jun 22, Jul 22, Aug 22,
		// Sep 22, Oct 21, Nov (1st Mon; 29-30 Mon-Tue) 22, Dec (1st Wed; 29-31 Wed-Fri) 23.
		// Total 261 (2027 starts and ends on a Friday); 261/12 = 21.75 -> 22; peak 23, March.
		{"cron(0 9 ? * MON-FRI *)", utc(2027, 1, 10, 0, 0), 22, 23, utc(2027, 3, 1, 0, 0)},
		// Year field ends inside the window: Nov 2026 (30) + Dec 2026 (31) = 61 firings;
		// 61/12 = 5.08 -> 5; peak 31 in Dec 2026.
		{"cron(0 12 * * ? 2026)", asOf, 5, 31, utc(2026, 12, 1, 0, 0)},
		// Window Jun 2027 .. May 2028 holds 29 Feb 2028: 366 days = 8,784 h. Firings on the
		// 1st of Jun..Dec 2027 = 7; 7*730/8,784 = 0.58 -> 1; peak 1, first in Jun 2027.
		{"cron(30 6 1 * ? 2026-2027)", utc(2027, 6, 3, 0, 0), 1, 1, utc(2027, 6, 1, 0, 0)},
		// Leap normalisation: 2028 has 366 daily firings in 8,784 h: 366*730/8,784 = 30.42
		// -> 30 (not 366/12 = 30.5 -> 31); peak 31, January.
		{"cron(0 0 * * ? *)", utc(2028, 1, 15, 0, 0), 30, 31, utc(2028, 1, 1, 0, 0)},
		// Every minute, window Feb 2028 .. Jan 2029 (leap): 366*1,440 = 527,040 firings;
		// 527,040*730/8,784 = 43,800; peak 31*1,440 = 44,640 in March 2028 (Feb has 29 days).
		{"cron(* * * * ? *)", utc(2028, 2, 29, 23, 59), 43800, 44640, utc(2028, 3, 1, 0, 0)},
		{"cron(* * * * ? *)", asOf, 43800, 44640, utc(2026, 12, 1, 0, 0)}, // 525,600/12
		// One third Friday a month: 12/12 = 1; peak 1 in the first month.
		{"cron(0 0 ? * 6#3 *)", asOf, 1, 1, utc(2026, 11, 1, 0, 0)},
		// asOf in another zone: 2026-12-01 01:00+02:00 is 2026-11-30 23:00Z, so November.
		{"cron(0 12 * * ? 2026)", time.Date(2026, 12, 1, 1, 0, 0, 0, time.FixedZone("EET", 7200)), 5, 31, utc(2026, 12, 1, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.expr+"@"+tc.asOf.Format("2006-01-02"), func(t *testing.T) {
			s := mustParse(t, tc.expr)
			avg, peak, pm, err := s.MonthlyRuns(tc.asOf)
			if err != nil {
				t.Fatalf("MonthlyRuns: %v", err)
			}
			if avg != tc.avg || peak != tc.peak || !pm.Equal(tc.peakMonth) || pm.Location() != time.UTC {
				t.Errorf("MonthlyRuns = %d, %d, %s; want %d, %d, %s (UTC)", avg, peak, pm, tc.avg, tc.peak, tc.peakMonth)
			}
		})
	}
}

func TestMonthlyRunsNeverFires(t *testing.T) {
	asOf := utc(2026, 11, 25, 0, 0)
	tests := []struct{ expr, want string }{
		{"cron(0 0 30 2 ? *)", "fires on no date 1970-2199"},
		{"cron(0 0 31 4,6,9,11 ? *)", "fires on no date 1970-2199"},
		{"cron(0 0 * * ? 2020)", "does not fire in the 12 months 2026-11 to 2027-10: its year field ends before 2026"},
		{"cron(0 0 * * ? 2030)", "does not fire in the 12 months 2026-11 to 2027-10 (its first firing from then is 2030-01-01T00:00:00Z)"},
	}
	for _, tc := range tests {
		s := mustParse(t, tc.expr)
		_, _, _, err := s.MonthlyRuns(asOf)
		if !errors.Is(err, ErrNeverFires) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "schedule: "+tc.expr) {
			t.Errorf("%s: MonthlyRuns error = %v, want ErrNeverFires with %q", tc.expr, err, tc.want)
		}
	}
}

// refFires is a deliberately naive, independent reading of the cron rules for one minute:
// it re-derives L, LW, nW, nL and n#k by scanning the month instead of using monthDays.
func refFires(c *cronSpec, t time.Time) bool {
	y, m, d := t.Date()
	if y < minYear || y > maxYear || !c.years.has(y-minYear) || c.months&(1<<m) == 0 ||
		c.hours&(1<<t.Hour()) == 0 || c.minutes&(1<<t.Minute()) == 0 {
		return false
	}
	ml := daysIn(y, m)
	wd := func(day int) time.Weekday { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC).Weekday() }
	isWeekday := func(day int) bool { return wd(day) != time.Saturday && wd(day) != time.Sunday }
	switch c.dom {
	case domSet:
		return c.domDays&(1<<d) != 0
	case domLast:
		return d == ml
	case domLastWeekday:
		for e := d + 1; e <= ml; e++ {
			if isWeekday(e) {
				return false
			}
		}
		return isWeekday(d)
	case domNearestWeekday:
		if c.domN > ml {
			return false
		}
		for k := 0; k < 3; k++ { // nearest weekday within the month; the earlier one first
			for _, e := range []int{c.domN - k, c.domN + k} {
				if e >= 1 && e <= ml && isWeekday(e) {
					return d == e
				}
			}
		}
		return false
	}
	dow := int(wd(d)) + 1
	switch c.dow {
	case dowSet:
		return c.dowDays&(1<<dow) != 0
	case dowLast:
		return dow == c.dowDay && d+7 > ml
	case dowNth:
		return dow == c.dowDay && (d-1)/7+1 == c.dowNth
	}
	return false
}

// TestCountAgainstReference checks Count and Next against minute-by-minute evaluation of
// refFires on random sub-ranges of Nov 2026 .. Mar 2028 (month edges, a leap February).
func TestCountAgainstReference(t *testing.T) {
	exprs := []string{
		"cron(* * * * ? *)", "cron(0/7 */5 * * ? *)", "cron(59 23 L * ? *)", "cron(0 0 LW * ? *)",
		"cron(0 12 1W * ? *)", "cron(0 12 15W * ? *)", "cron(0 12 31W * ? *)", "cron(0 12 30W * ? *)",
		"cron(10 10 ? * 5L *)", "cron(10 10 ? * 1L *)", "cron(0 8 ? * 6#3 *)", "cron(0 8 ? * 2#5 *)",
		"cron(5-10 3,4 ? * FRI-MON *)", "cron(0 0 29 2 ? *)", "cron(0 0 1/10 NOV-FEB ? 2027)",
		"cron(0 9 ? * MON-FRI *)", "cron(0 22-2 * * ? *)", "cron(0 0 ? * L *)", "cron(1 1 1 1 ? 2028)",
	}
	from := utc(2026, 11, 1, 0, 0)
	const minutes = 517 * 24 * 60 // Nov 2026 .. Mar 2028: 30+31+365+31+29+31 days
	rng := rand.New(rand.NewPCG(1, 2))
	for _, expr := range exprs {
		t.Run(expr, func(t *testing.T) {
			c := mustParse(t, expr).cron
			s := &Schedule{cron: c}
			prefix := make([]int64, minutes+1) // prefix[i] = firings at minutes [0, i)
			for i := 0; i < minutes; i++ {
				prefix[i+1] = prefix[i]
				if refFires(c, from.Add(time.Duration(i)*time.Minute)) {
					prefix[i+1]++
				}
			}
			if got := s.Count(from, from.Add(minutes*time.Minute)); got != prefix[minutes] {
				t.Fatalf("Count(whole range) = %d, reference %d", got, prefix[minutes])
			}
			for range 300 {
				a, b := rng.IntN(minutes+1), rng.IntN(minutes+1)
				if a > b {
					a, b = b, a
				}
				// Start a few seconds into minute a-1 sometimes: the first firing counted is then a.
				start := from.Add(time.Duration(a) * time.Minute)
				if a > 0 && rng.IntN(2) == 0 {
					start = start.Add(-time.Duration(1+rng.IntN(59)) * time.Second)
				}
				end := from.Add(time.Duration(b) * time.Minute)
				if got, want := s.Count(start, end), prefix[b]-prefix[a]; got != want {
					t.Fatalf("Count(%s, %s) = %d, reference %d", start, end, got, want)
				}
				// Next after minute a: the first reference firing at a+1 or later.
				next, ok := s.Next(from.Add(time.Duration(a) * time.Minute))
				i := a + 1
				for i < minutes && prefix[i+1] == prefix[i] {
					i++
				}
				if i < minutes {
					if want := from.Add(time.Duration(i) * time.Minute); !ok || !next.Equal(want) {
						t.Fatalf("Next(%s) = %s, %v; reference %s", from.Add(time.Duration(a)*time.Minute), next, ok, want)
					}
				}
			}
		})
	}
}

func BenchmarkMonthlyRuns(b *testing.B) {
	asOf := utc(2026, 11, 25, 0, 0)
	for _, expr := range []string{"cron(* * * * ? *)", "cron(0/5 9-17 ? * MON-FRI *)", "cron(0 0 ? * 6#3 *)", "cron(0 0 15W * ? *)", "rate(10 minutes)"} {
		s := mustParse(b, expr)
		b.Run(expr, func(b *testing.B) {
			for b.Loop() {
				if _, _, _, err := s.MonthlyRuns(asOf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseSchedule(b *testing.B) {
	for b.Loop() {
		if _, err := ParseSchedule("cron(0/15 9-17 ? JAN-NOV MON-FRI 2026-2030)"); err != nil {
			b.Fatal(err)
		}
	}
}
