package planner

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// sizeUnits maps a unit suffix (case-insensitive) to its byte multiplier:
// decimal units are powers of 1000 (KB, MB, GB), binary units powers of 1024
// (KiB, MiB, GiB); "B" or no unit means bytes.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
}

// sizeForm is the accepted form, quoted in errors.
const sizeForm = `a byte count like 279KB, 19KiB, 1.5MB, 1MiB or 1234 (KB/MB/GB = 1000-based, KiB/MiB/GiB = 1024-based)`

// ParseSize parses a size: a non-negative number (decimals allowed) followed by an
// optional unit B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024),
// with optional space between. The result must be a whole number of bytes.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("%w: size is empty: want %s", ErrBadInput, sizeForm)
	}
	if strings.HasPrefix(t, "-") {
		return 0, fmt.Errorf("%w: size %q is negative: want %s", ErrBadInput, s, sizeForm)
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("%w: size %q: no number: want %s", ErrBadInput, s, sizeForm)
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("%w: size %q: unknown unit %q: want %s", ErrBadInput, s, t[i:], sizeForm)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok || strings.Count(num, ".") > 1 || num[0] == '.' || num[len(num)-1] == '.' {
		return 0, fmt.Errorf("%w: size %q: bad number %q: want %s", ErrBadInput, s, num, sizeForm)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("%w: size %q is not a whole number of bytes", ErrBadInput, s)
	}
	n := r.Num()
	if !n.IsInt64() {
		return 0, fmt.Errorf("%w: size %q is too large", ErrBadInput, s)
	}
	return n.Int64(), nil
}

// FormatSize renders n bytes for people: an exact binary multiple as KiB/MiB/GiB,
// an exact decimal multiple as KB/MB/GB, below 1000 as B, anything else in the
// decimal unit with two decimals ("27.38 KB", "1.00 KB" for 1,001 B). Exact forms parse back with
// ParseSize to the same n.
func FormatSize(n int64) string {
	if n < 0 {
		return "-" + FormatSize(-n)
	}
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	for _, u := range []struct {
		name string
		mult int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 && n >= 1000 && u.mult > 1 && n/u.mult < 1024 {
			return strconv.FormatInt(n/u.mult, 10) + " " + u.name
		}
	}
	dec := []struct {
		name string
		mult int64
	}{{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}}
	for i, u := range dec {
		if n < u.mult {
			continue
		}
		if n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + " " + u.name
		}
		v := float64(n) / float64(u.mult)
		if v >= 999.995 && i > 0 { // would print as 1000.00: use the next unit up
			u = dec[i-1]
			v = float64(n) / float64(u.mult)
		}
		// Not exact: always two decimals, so "1.00 KB" (1,001 B) is not read as exact.
		return strconv.FormatFloat(v, 'f', 2, 64) + " " + u.name
	}
	return strconv.FormatInt(n, 10) + " B"
}

// GroupInt renders n with thousands separators, as the reports print byte counts:
// 1048576 -> "1,048,576".
func GroupInt(n int64) string { return groupInt(n) }

// groupInt renders n with thousands separators: 1048576 -> "1,048,576".
func groupInt(n int64) string {
	if n < 0 {
		return "-" + groupInt(-n)
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
