package planner

// EventBridge schedule expressions: parsing, validation and exact calendar counting.
//
// Sources (read 2026-11-25):
//   - rate: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html
//     ("If the value is equal to 1, then the unit must be singular. If the value is greater
//     than 1, the unit must be plural"; units minute|minutes|hour|hours|day|days).
//   - cron: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html
//     and https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
//     (six fields, the wildcards per field, one of day-of-month/day-of-week must be "?",
//     only one expression in day-of-week when '#' is used).
//
// Where AWS is silent the parser follows Quartz's CronExpression (the dialect EventBridge's
// cron is modelled on); every such place is marked "Quartz:" below.

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// ErrNeverFires is wrapped by MonthlyRuns when a schedule has no firing in its window
// (for example cron(0 0 30 2 ? *), or a cron whose year field lies in the past).
var ErrNeverFires = errors.New("schedule never fires")

// Schedule is a parsed EventBridge schedule expression, either rate(...) or cron(...).
// All times are UTC (EventBridge rules always evaluate cron in UTC).
// Build one with ParseSchedule; the zero value is not usable.
type Schedule struct {
	expr        string    // normalised expression, see String
	rateMinutes int64     // period of a rate() schedule in minutes; 0 for cron
	cron        *cronSpec // nil for rate
}

// Cron year bounds accepted by AWS.
const (
	minYear = 1970
	maxYear = 2199
)

const minutesPerDay = 24 * 60

// ParseSchedule parses and validates an EventBridge schedule expression as AWS does:
//
//	rate(value unit)  value a positive whole number; unit minute|hour|day when value is 1,
//	                  minutes|hours|days otherwise.
//	cron(minutes hours day-of-month month day-of-week year)
//
// Surrounding white space is ignored; fields are separated by one or more spaces or tabs.
// Month and day names and the letters L, W are accepted in any case (ASCII only). Where
// the input is laxer than AWS may be (outer or repeated blanks, leading zeros, lower case),
// String gives the normalised form: deploy that. An error is an *InputError on
// FieldSchedule: its message starts with "schedule: ", quotes the expression and names the
// offending field and the accepted form.
func ParseSchedule(expr string) (*Schedule, error) {
	sched, err := parseSchedule(expr)
	if err != nil {
		return nil, &InputError{Field: FieldSchedule, Value: expr, Problem: err.Error()}
	}
	return sched, nil
}

// parseSchedule is ParseSchedule; its errors are the problem only.
func parseSchedule(expr string) (*Schedule, error) {
	s := strings.TrimSpace(expr)
	const forms = "accepted: rate(value unit) or cron(minutes hours day-of-month month day-of-week year)"
	switch {
	case s == "":
		return nil, fmt.Errorf("empty expression; %s", forms)
	case strings.HasPrefix(s, "at("):
		return nil, fmt.Errorf("%q is a one-time at() schedule; the planner needs a recurring one, %s", s, forms)
	case !strings.HasPrefix(s, "rate(") && !strings.HasPrefix(s, "cron("):
		return nil, fmt.Errorf("%q is neither rate(...) nor cron(...) (lower case); %s", s, forms)
	}
	kind := s[:4]
	switch {
	case !strings.HasSuffix(s, ")") && strings.Contains(s, ")"):
		return nil, fmt.Errorf("%q has text after the closing parenthesis; %s", s, forms)
	case !strings.HasSuffix(s, ")"):
		return nil, fmt.Errorf("%q lacks the closing parenthesis; %s", s, forms)
	}
	inner := s[len("rate(") : len(s)-1]
	if strings.ContainsAny(inner, "()") {
		return nil, fmt.Errorf("%q has unbalanced parentheses; %s", s, forms)
	}
	fields := splitBlank(inner)
	parse := parseCron
	if kind == "rate" {
		parse = parseRate
	}
	sched, err := parse(fields)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", s, err)
	}
	return sched, nil
}

// splitBlank splits on runs of spaces and tabs (the white space a schedule field may be
// separated by); other characters, line breaks included, stay inside a token and are
// then rejected by the field parsers.
func splitBlank(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
}

// ---------------------------------------------------------------- rate

var rateUnits = map[string]struct {
	minutes  int64
	singular bool
	base     string
}{
	"minute": {1, true, "minute"}, "minutes": {1, false, "minute"},
	"hour": {60, true, "hour"}, "hours": {60, false, "hour"},
	"day": {minutesPerDay, true, "day"}, "days": {minutesPerDay, false, "day"},
}

func parseRate(fields []string) (*Schedule, error) {
	if len(fields) != 2 {
		return nil, fmt.Errorf("rate: want two fields, rate(value unit) such as rate(5 minutes), got %d", len(fields))
	}
	value, unit := fields[0], fields[1]
	v, ok := parseDigits(value)
	if !ok {
		return nil, fmt.Errorf("rate value: %q is not a positive whole number (e.g. rate(5 minutes))", value)
	}
	if v < 1 {
		return nil, fmt.Errorf("rate value: %q must be at least 1 (e.g. rate(1 minute))", value)
	}
	u, ok := rateUnits[unit]
	if !ok {
		return nil, fmt.Errorf("rate unit: %q unknown; accepted: minute|minutes|hour|hours|day|days", unit)
	}
	if v == 1 && !u.singular {
		return nil, fmt.Errorf("rate unit: value 1 needs the singular %q, not %q", u.base, unit)
	}
	if v > 1 && u.singular {
		return nil, fmt.Errorf("rate unit: value %d needs the plural %q, not %q", v, u.base+"s", unit)
	}
	if v > math.MaxInt64/(u.minutes*60) {
		return nil, fmt.Errorf("rate value: %q is too large to represent", value)
	}
	return &Schedule{
		expr:        fmt.Sprintf("rate(%d %s)", v, unit),
		rateMinutes: v * u.minutes,
	}, nil
}

// parseDigits parses a non-empty run of ASCII digits (no sign, no decimals).
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// ---------------------------------------------------------------- cron

// bitset holds values 0..255 (years are stored as year-1970, 0..229).
type bitset [4]uint64

func (b *bitset) set(i int)      { b[i>>6] |= 1 << (i & 63) }
func (b *bitset) has(i int) bool { return i >= 0 && i < 256 && b[i>>6]&(1<<(i&63)) != 0 }

type domKind uint8

const (
	domEvery          domKind = iota // "?": the day-of-week field decides
	domSet                           // days from a list/range/step, e.g. 1,15 or 1-31/2
	domLast                          // L: last day of the month
	domLastWeekday                   // LW: last Monday-Friday of the month
	domNearestWeekday                // nW: weekday nearest day n, within the month
)

type dowKind uint8

const (
	dowEvery dowKind = iota // "?": the day-of-month field decides
	dowSet                  // days of week (bit 1=SUN .. 7=SAT)
	dowLast                 // nL: last weekday n of the month
	dowNth                  // n#k: k-th weekday n of the month
)

// cronSpec is a compiled cron expression.
type cronSpec struct {
	minutes uint64 // bit m for minute m
	hours   uint32 // bit h for hour h
	months  uint16 // bit m for month m (1-12)
	years   bitset // bit y-1970

	dom     domKind
	domDays uint32 // domSet: bit d for day d
	domN    int    // domNearestWeekday: n

	dow     dowKind
	dowDays uint8 // dowSet: bit d for day-of-week d (1=SUN)
	dowDay  int   // dowLast/dowNth: 1-7
	dowNth  int   // dowNth: 1-5

	perDay int64 // firings on a matching day: |hours| x |minutes|
}

// cronField describes one cron field for parsing and error messages.
type cronField struct {
	name     string
	min, max int
	rng      string   // range as written in errors
	accepted string   // accepted form as written in errors
	names    []string // names for min..min+len-1 (months, days of week)
	maxStep  int
	wrap     bool // Quartz: a range whose start exceeds its end wraps, e.g. FRI-MON
}

var (
	fMinutes = cronField{name: "minutes", min: 0, max: 59, rng: "0-59",
		accepted: "0-59 with , - * /", maxStep: 59, wrap: true}
	fHours = cronField{name: "hours", min: 0, max: 23, rng: "0-23",
		accepted: "0-23 with , - * /", maxStep: 23, wrap: true}
	fDom = cronField{name: "day-of-month", min: 1, max: 31, rng: "1-31",
		accepted: "1-31 with , - * ? / L W (L, LW and nW alone)", maxStep: 31, wrap: true}
	fMonth = cronField{name: "month", min: 1, max: 12, rng: "1-12 (or JAN-DEC)",
		accepted: "1-12 or JAN-DEC with , - * /", maxStep: 12, wrap: true,
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}}
	fDow = cronField{name: "day-of-week", min: 1, max: 7, rng: "1-7 (or SUN-SAT)",
		accepted: "1-7 or SUN-SAT with , - * ? L # (nL and n#k alone)", maxStep: 7, wrap: true,
		names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}}
	fYear = cronField{name: "year", min: minYear, max: maxYear, rng: "1970-2199",
		accepted: "1970-2199 with , - * /", maxStep: maxYear - minYear}
)

func (f *cronField) errorf(tok, format string, args ...any) error {
	return fmt.Errorf("cron %s: %q %s", f.name, tok, fmt.Sprintf(format, args...))
}

func (f *cronField) notAccepted(tok string) error {
	return f.errorf(tok, "is not accepted here; accepted: %s", f.accepted)
}

func parseCron(fields []string) (*Schedule, error) {
	if len(fields) != 6 {
		return nil, fmt.Errorf("cron: want 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(fields))
	}
	c := &cronSpec{}
	var err error
	var b bitset
	if b, err = fMinutes.parseList(fields[0]); err != nil {
		return nil, err
	}
	c.minutes = b[0]
	if b, err = fHours.parseList(fields[1]); err != nil {
		return nil, err
	}
	c.hours = uint32(b[0])
	if b, err = fMonth.parseList(fields[3]); err != nil {
		return nil, err
	}
	c.months = uint16(b[0])
	if b, err = fYear.parseList(fields[5]); err != nil {
		return nil, err
	}
	c.years = b // bit y-1970
	dom, dow := fields[2], fields[4]
	switch {
	case dom == "?" && dow == "?":
		return nil, fmt.Errorf("cron: day-of-month and day-of-week are both \"?\"; exactly one of them must be \"?\"")
	case dom != "?" && dow != "?":
		return nil, fmt.Errorf("cron: day-of-month %q and day-of-week %q are both set; AWS requires \"?\" in one of them (e.g. cron(0 9 ? * MON-FRI *) or cron(0 9 1 * ? *))", dom, dow)
	case dow == "?":
		if err := c.parseDom(dom); err != nil {
			return nil, err
		}
	default:
		if err := c.parseDow(dow); err != nil {
			return nil, err
		}
	}
	c.perDay = int64(bits.OnesCount64(c.minutes)) * int64(bits.OnesCount32(c.hours))
	return &Schedule{expr: "cron(" + asciiUpper(strings.Join(fields, " ")) + ")", cron: c}, nil
}

// asciiUpper upper-cases a-z only. Names and letters are matched through it so that
// Unicode case folding cannot admit look-alikes (e.g. "ſun" for SUN) that AWS rejects.
func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// parseList parses a comma list of *, values, ranges and steps into a bitset. Years are
// stored as year-1970. "?", L, W and # are not handled here.
func (f *cronField) parseList(field string) (bitset, error) {
	var b bitset
	for _, item := range strings.Split(field, ",") {
		if err := f.parseItem(item, &b); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (f *cronField) parseItem(item string, b *bitset) error {
	if item == "" {
		return f.errorf(item, "is empty (stray comma?); accepted: %s", f.accepted)
	}
	base, stepStr, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		s, ok := parseDigits(stepStr)
		if !ok || s < 1 || s > int64(f.maxStep) {
			return f.errorf(item, "has step %q; a step must be a whole number 1-%d", stepStr, f.maxStep)
		}
		step = int(s)
	}
	var lo, hi int
	if base == "*" {
		lo, hi = f.min, f.max
	} else {
		a, z, isRange := strings.Cut(base, "-")
		var err error
		if lo, err = f.value(item, a); err != nil {
			return err
		}
		switch {
		case isRange:
			if hi, err = f.value(item, z); err != nil {
				return err
			}
		case hasStep: // Quartz: "a/s" runs from a to the field's maximum.
			hi = f.max
		default:
			hi = lo
		}
	}
	if hi < lo {
		if !f.wrap {
			return f.errorf(item, "is a range whose start is after its end")
		}
		hi += f.max - f.min + 1 // Quartz: wrap around, e.g. 22-2 in hours is 22,23,0,1,2.
	}
	span := f.max - f.min + 1
	for v := lo; v <= hi; v += step {
		w := v
		if w > f.max {
			w -= span
		}
		b.set(w - f.offset())
	}
	return nil
}

// offset maps a value to its bit: years are stored from 1970, other fields as is.
func (f *cronField) offset() int {
	if f.min == minYear {
		return minYear
	}
	return 0
}

// value parses one number or name of the field, checking its range.
func (f *cronField) value(item, tok string) (int, error) {
	if v, ok := parseDigits(tok); ok {
		if v < int64(f.min) || v > int64(f.max) {
			return 0, f.errorf(tok, "out of range %s", f.rng)
		}
		return int(v), nil
	}
	for i, n := range f.names {
		if asciiUpper(tok) == n {
			return f.min + i, nil
		}
	}
	if tok == "" {
		return 0, f.errorf(item, "has an empty value; accepted: %s", f.accepted)
	}
	return 0, f.notAccepted(item)
}

// parseDom parses a day-of-month field other than "?". Letters are matched in any case
// (Quartz upper-cases the expression); errors quote the field as written.
func (c *cronSpec) parseDom(field string) error {
	f := &fDom
	u := asciiUpper(field)
	switch {
	case u == "L":
		c.dom = domLast
		return nil
	case u == "LW":
		c.dom = domLastWeekday
		return nil
	case strings.HasSuffix(u, "W"):
		n, ok := parseDigits(strings.TrimSuffix(u, "W"))
		if !ok {
			// Quartz: W applies to a single day, never to a list or range.
			return f.errorf(field, "is not a single day before W; accepted: nW with n 1-31 (e.g. 15W), or LW, alone in the field")
		}
		if n < 1 || n > 31 {
			return f.errorf(field, "out of range %s", f.rng)
		}
		c.dom, c.domN = domNearestWeekday, int(n)
		return nil
	case strings.ContainsAny(u, "LW?#"):
		// Quartz: L and LW cannot be combined with other days; offsets like L-3 are not
		// in AWS's documented syntax.
		return f.notAccepted(field)
	}
	b, err := f.parseList(field)
	if err != nil {
		return err
	}
	c.dom, c.domDays = domSet, uint32(b[0])
	return nil
}

// parseDow parses a day-of-week field other than "?", like parseDom.
func (c *cronSpec) parseDow(field string) error {
	f := &fDow
	u := asciiUpper(field)
	switch {
	case u == "L":
		// Quartz: L alone in day-of-week means the last day of the week, 7 (SAT).
		c.dow, c.dowDays = dowSet, 1<<7
		return nil
	case strings.Contains(field, "#"):
		d, k, _ := strings.Cut(field, "#")
		if strings.ContainsAny(d, ",-/*") || strings.ContainsAny(k, ",-/*#") {
			// AWS: "3#1,6#3" is invalid; only one expression when '#' is used.
			return f.errorf(field, "combines # with other values; AWS accepts one n#k alone (e.g. 6#3)")
		}
		day, err := f.value(field, d)
		if err != nil {
			return err
		}
		n, ok := parseDigits(k)
		if !ok || n < 1 || n > 5 {
			return f.errorf(field, "needs an occurrence 1-5 after # (e.g. 6#3, the third Friday)")
		}
		c.dow, c.dowDay, c.dowNth = dowNth, day, int(n)
		return nil
	case strings.HasSuffix(u, "L"):
		d := field[:len(field)-1]
		if strings.ContainsAny(asciiUpper(d), ",-/*L") {
			return f.errorf(field, "combines L with other values; accepted: nL alone (e.g. 5L, the last Thursday)")
		}
		day, err := f.value(field, d)
		if err != nil {
			return err
		}
		c.dow, c.dowDay = dowLast, day
		return nil
	case strings.ContainsAny(field, "?/"):
		// AWS lists no '/' for day-of-week; "?" must be the whole field.
		return f.notAccepted(field)
	}
	b, err := f.parseList(field)
	if err != nil {
		return err
	}
	c.dow, c.dowDays = dowSet, uint8(b[0])
	return nil
}

// daysIn returns the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// monthDays returns the days of month m of year y the day fields select (bit d = day d),
// ignoring the month and year fields. It is exact on the calendar: L, LW, nW, nL and n#k
// are resolved against the real month length and weekdays.
func (c *cronSpec) monthDays(y int, m time.Month) uint32 {
	ml := daysIn(y, m)
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Weekday() // weekday of day 1
	weekday := func(d int) time.Weekday { return (first + time.Weekday(d-1)) % 7 }
	all := uint32(uint64(1)<<(ml+1) - 2) // bits 1..ml
	switch c.dom {
	case domSet:
		return c.domDays & all
	case domLast:
		return 1 << ml
	case domLastWeekday:
		d := ml
		switch weekday(ml) {
		case time.Saturday:
			d = ml - 1
		case time.Sunday:
			d = ml - 2
		}
		return 1 << d
	case domNearestWeekday:
		// Quartz: the weekday nearest day n that lies in the same month ("it will not
		// 'jump' over the boundary of a month's days"): 1W on a Saturday is Monday the
		// 3rd; the last day on a Sunday moves to Friday. A day the month lacks (31W in a
		// 30-day month) selects nothing, as the plain day 31 would.
		n := c.domN
		if n > ml {
			return 0
		}
		switch weekday(n) {
		case time.Saturday:
			if n == 1 {
				n = 3
			} else {
				n--
			}
		case time.Sunday:
			if n == ml {
				n -= 2
			} else {
				n++
			}
		}
		return 1 << n
	}
	// Day-of-week decides. firstOf(w) is the first day of the month falling on w (1=SUN).
	firstOf := func(w int) int { return 1 + (w-1-int(first)+7)%7 }
	var mask uint32
	switch c.dow {
	case dowSet:
		for w := 1; w <= 7; w++ {
			if c.dowDays&(1<<w) != 0 {
				for d := firstOf(w); d <= ml; d += 7 {
					mask |= 1 << d
				}
			}
		}
	case dowLast:
		f := firstOf(c.dowDay)
		mask = 1 << (f + 7*((ml-f)/7))
	case dowNth:
		if d := firstOf(c.dowDay) + 7*(c.dowNth-1); d <= ml {
			mask = 1 << d
		}
	}
	return mask
}

// inDay counts firings at minutes-of-day [lo, hi) of a matching day (0 <= lo, hi <= 1440).
func (c *cronSpec) inDay(lo, hi int) int64 {
	if lo <= 0 && hi >= minutesPerDay {
		return c.perDay
	}
	var n int
	for h := lo / 60; h < 24 && h*60 < hi; h++ {
		if c.hours&(1<<h) == 0 {
			continue
		}
		a, z := max(lo-h*60, 0), min(hi-h*60, 60)
		n += bits.OnesCount64(c.minutes & (uint64(1)<<z - 1) &^ (uint64(1)<<a - 1))
	}
	return int64(n)
}

// firstInDay returns the first firing minute-of-day >= lo on a matching day, or -1.
func (c *cronSpec) firstInDay(lo int) int {
	for h := lo / 60; h < 24; h++ {
		if c.hours&(1<<h) == 0 {
			continue
		}
		m := c.minutes
		if h == lo/60 {
			m &^= uint64(1)<<(lo%60) - 1
		}
		if m != 0 {
			return h*60 + bits.TrailingZeros64(m)
		}
	}
	return -1
}

// Minute numbers count whole minutes since 1970-01-01T00:00Z; firings fall on whole minutes.
var (
	cronFirstMinute = unixMinute(minYear, time.January)   // 1970-01-01
	cronEndMinute   = unixMinute(maxYear+1, time.January) // 2200-01-01
)

func unixMinute(y int, m time.Month) int64 {
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Unix() / 60
}

// ceilMinute is the first whole minute at or after t.
func ceilMinute(t time.Time) int64 {
	sec := t.Unix()
	m := floorDiv(sec, 60)
	if sec-m*60 > 0 || t.Nanosecond() > 0 {
		m++
	}
	return m
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// monthIndex numbers months continuously: year*12 + month-1.
func monthIndex(minute int64) int {
	y, m, _ := time.Unix(minute*60, 0).UTC().Date()
	return y*12 + int(m) - 1
}

// count counts cron firings at minutes [cf, ct), walking months and, only at the edges of
// the range, days: a month wholly inside contributes popcount(days) x hours x minutes.
func (c *cronSpec) count(cf, ct int64) int64 {
	cf, ct = max(cf, cronFirstMinute), min(ct, cronEndMinute)
	if ct <= cf || c.perDay == 0 {
		return 0
	}
	var n int64
	for idx, last := monthIndex(cf), monthIndex(ct-1); idx <= last; idx++ {
		y, m := idx/12, time.Month(idx%12+1)
		if !c.years.has(y-minYear) || c.months&(1<<m) == 0 {
			continue
		}
		mask := c.monthDays(y, m)
		if mask == 0 {
			continue
		}
		ms := unixMinute(y, m)
		if ms >= cf && ms+int64(daysIn(y, m))*minutesPerDay <= ct {
			n += int64(bits.OnesCount32(mask)) * c.perDay
			continue
		}
		for ; mask != 0; mask &= mask - 1 {
			ds := ms + int64(bits.TrailingZeros32(mask)-1)*minutesPerDay
			lo, hi := max(cf-ds, 0), min(ct-ds, minutesPerDay)
			if lo < hi {
				n += c.inDay(int(lo), int(hi))
			}
		}
	}
	return n
}

// next returns the first firing minute >= from, or false before 2200.
func (c *cronSpec) next(from int64) (int64, bool) {
	from = max(from, cronFirstMinute)
	if from >= cronEndMinute || c.perDay == 0 {
		return 0, false
	}
	for idx := monthIndex(from); idx < (maxYear+1)*12; idx++ {
		y, m := idx/12, time.Month(idx%12+1)
		if !c.years.has(y - minYear) {
			idx = (y+1)*12 - 1 // skip the rest of the year
			continue
		}
		if c.months&(1<<m) == 0 {
			continue
		}
		ms := unixMinute(y, m)
		for mask := c.monthDays(y, m); mask != 0; mask &= mask - 1 {
			ds := ms + int64(bits.TrailingZeros32(mask)-1)*minutesPerDay
			if ds+minutesPerDay <= from {
				continue
			}
			if mod := c.firstInDay(int(max(from-ds, 0))); mod >= 0 {
				return ds + int64(mod), true
			}
		}
	}
	return 0, false
}

// ---------------------------------------------------------------- Schedule methods

// String returns the normalised expression: fields separated by single spaces, names
// and letters upper-case, rate values without leading zeros. It parses back to the same
// schedule and is the form to hand to AWS.
func (s *Schedule) String() string { return s.expr }

// Count returns the number of firings in [from, to) (UTC); 0 when to is not after from.
//
// A rate() schedule fires every period counted from 1970-01-01T00:00Z (AWS starts a rate
// when the rule is created, which the planner cannot know; the epoch is a fixed stand-in
// under which rate(10 minutes) fires at :00, :10, ... and rate(1 day) at midnight). A cron()
// schedule fires at whole minutes matching every field; years outside 1970-2199 never match.
func (s *Schedule) Count(from, to time.Time) int64 {
	cf, ct := ceilMinute(from), ceilMinute(to)
	if ct <= cf {
		return 0
	}
	if s.cron != nil {
		return s.cron.count(cf, ct)
	}
	// Firings are at minutes k*P; count k with cf <= k*P < ct.
	return ceilDiv(ct, s.rateMinutes) - ceilDiv(cf, s.rateMinutes)
}

// Next returns the first firing strictly after after, and false when there is none
// (a cron whose years have all passed, or one that matches no calendar day before 2200).
// Rate schedules use the same 1970 anchor as Count.
func (s *Schedule) Next(after time.Time) (time.Time, bool) {
	from := floorDiv(after.Unix(), 60) + 1 // first whole minute strictly after `after`
	if s.cron != nil {
		m, ok := s.cron.next(from)
		if !ok {
			return time.Time{}, false
		}
		return time.Unix(m*60, 0).UTC(), true
	}
	k := ceilDiv(from, s.rateMinutes)
	if k > math.MaxInt64/60/s.rateMinutes {
		return time.Time{}, false
	}
	return time.Unix(k*s.rateMinutes*60, 0).UTC(), true
}

// MonthlyRuns returns the schedule's runs for cost and free-tier purposes over the window
// of 12 calendar months starting at 00:00 UTC on the first of asOf's month: Runs's
// Rounded, Peak and PeakMonth (see Runs).
func (s *Schedule) MonthlyRuns(asOf time.Time) (avg730 int64, peak int64, peakMonth time.Time, err error) {
	r, err := s.Runs(asOf)
	return r.Rounded, r.Peak, r.PeakMonth, err
}

// MonthRuns is a schedule's firings for cost and free-tier purposes (Schedule.Runs).
type MonthRuns struct {
	// Exact is the runs in a 730-hour month, AWS's pricing convention, with its fraction:
	//   - rate(): 730*60/P for a period of P minutes (rate(10 minutes) = 43,800/10 = 4,380;
	//     rate(1 day) = 43,800/1,440 = 30.416...).
	//   - cron(): every firing in the window is counted on the real calendar (N), then
	//     normalised to 730 of the window's hours H (8,760, or 8,784 when it holds 29
	//     February): N*730/H. For a 365-day window that is N/12 (a cron firing 4 times a
	//     year: 0.333...); a leap window does not inflate it (cron(0 0 * * ? *) over 2028
	//     gives 366*730/8,784 = 30.416...).
	// Cost is priced on Exact.
	Exact float64
	// Rounded is Exact rounded half up to a whole number of runs (rate(1 day): 30).
	Rounded int64
	// Peak is the largest calendar-month count in the window and PeakMonth that month's
	// first instant (the earliest such month on a tie). For cron it is the exact count. For
	// rate() it is the most firings the month can hold whatever instant the rate started at,
	// ceil(month minutes/P) (rate(10 minutes) in a 31-day month: 44,640/10 = 4,464), so a
	// free-tier check on it is safe for any deployment time.
	Peak      int64
	PeakMonth time.Time
}

// Runs counts the schedule's runs over the window of 12 calendar months starting at 00:00
// UTC on the first of asOf's month (see MonthRuns for what each figure is).
//
// err is an *InputError on FieldSchedule wrapping ErrNeverFires when a cron has no firing
// in the window, saying why (it never fires on any date, or its years end before or start
// after the window).
func (s *Schedule) Runs(asOf time.Time) (MonthRuns, error) {
	asOf = asOf.UTC()
	start := time.Date(asOf.Year(), asOf.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 12, 0)
	var r MonthRuns
	var total int64
	for i := 0; i < 12; i++ {
		ms, me := start.AddDate(0, i, 0), start.AddDate(0, i+1, 0)
		var n int64
		if s.cron != nil {
			n = s.Count(ms, me)
		} else {
			n = ceilDiv(int64(me.Sub(ms)/time.Minute), s.rateMinutes)
		}
		total += n
		if n > r.Peak {
			r.Peak, r.PeakMonth = n, ms
		}
	}
	if s.cron == nil {
		const minutes730 = 730 * 60
		r.Exact = float64(minutes730) / float64(s.rateMinutes)
		r.Rounded = (2*minutes730 + s.rateMinutes) / (2 * s.rateMinutes)
		return r, nil
	}
	if total == 0 {
		return MonthRuns{}, s.neverFires(start, end)
	}
	hours := int64(end.Sub(start) / time.Hour)
	r.Exact = float64(total) * 730 / float64(hours)
	r.Rounded = (2*total*730 + hours) / (2 * hours)
	return r, nil
}

// neverFires explains why a cron has no firing in [start, end): an *InputError on
// FieldSchedule wrapping ErrNeverFires.
func (s *Schedule) neverFires(start, end time.Time) error {
	window := fmt.Sprintf("the 12 months %s to %s", start.Format("2006-01"), end.AddDate(0, -1, 0).Format("2006-01"))
	var problem string
	if _, ever := s.Next(time.Date(minYear-1, time.December, 31, 23, 59, 0, 0, time.UTC)); !ever {
		problem = fmt.Sprintf("%s fires on no date 1970-2199 (its day, month and year fields never meet, e.g. 30 February)", s.expr)
	} else if t, ok := s.Next(start.Add(-time.Minute)); ok {
		problem = fmt.Sprintf("%s does not fire in %s (its first firing from then is %s)", s.expr, window, t.Format(time.RFC3339))
	} else {
		problem = fmt.Sprintf("%s does not fire in %s: its year field ends before %d", s.expr, window, start.Year())
	}
	return &InputError{Field: FieldSchedule, Value: s.expr, Problem: problem, Err: ErrNeverFires}
}
