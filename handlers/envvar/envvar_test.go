package envvar

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReader reads one variable of each kind; each bad value's error names the variable and
// the accepted form. (The Bool cases were blob's TestParseBool before ParseBool moved here.)
func TestReader(t *testing.T) {
	tests := []struct {
		name, v string
		read    func(r *Reader) any
		want    any
		wantErr string
	}{
		{"bool empty", "", func(r *Reader) any { return r.Bool("SPILL") }, false, ""},
		{"bool true", "true", func(r *Reader) any { return r.Bool("SPILL") }, true, ""},
		{"bool FALSE", "FALSE", func(r *Reader) any { return r.Bool("SPILL") }, false, ""},
		{"bool 1", "1", func(r *Reader) any { return r.Bool("SPILL") }, true, ""},
		{"bool yes, spaced", " yes ", func(r *Reader) any { return r.Bool("SPILL") }, true, ""},
		{"bool bad", "maybe", func(r *Reader) any { return r.Bool("SPILL") }, false, `SPILL="maybe": want true or false`},
		{"bytes", "1048576", func(r *Reader) any { n, _ := r.Bytes("LIMIT"); return n }, int64(1_048_576), ""},
		{"bytes zero", "0", func(r *Reader) any { n, set := r.Bytes("LIMIT"); return [2]any{n, set} }, [2]any{int64(0), true}, ""},
		{"bytes unset", "", func(r *Reader) any { n, set := r.Bytes("LIMIT"); return [2]any{n, set} }, [2]any{int64(0), false}, ""},
		{"bytes negative", "-1", func(r *Reader) any { n, _ := r.Bytes("LIMIT"); return n }, int64(0), `LIMIT="-1": want a whole number of bytes ≥ 0`},
		{"bytes with a unit", "1MB", func(r *Reader) any { n, _ := r.Bytes("LIMIT"); return n }, int64(0), `LIMIT="1MB": want a whole number`},
		{"positive bytes zero", "0", func(r *Reader) any { n, _ := r.PositiveBytes("CAP"); return n }, int64(0), `CAP="0": want a positive whole number of bytes`},
		{"positive bytes", "5", func(r *Reader) any { n, _ := r.PositiveBytes("CAP"); return n }, int64(5), ""},
		{"duration", "1m30s", func(r *Reader) any { return r.Duration("T") }, 90 * time.Second, ""},
		{"duration without unit", "30", func(r *Reader) any { return r.Duration("T") }, time.Duration(0), `T="30": want a positive Go duration such as 5s or 1m30s`},
		{"duration negative", "-1s", func(r *Reader) any { return r.Duration("T") }, time.Duration(0), `T="-1s": want a positive Go duration`},
		{"port", "6432", func(r *Reader) any { return r.Port("PGPORT") }, 6432, ""},
		{"port too big", "65536", func(r *Reader) any { return r.Port("PGPORT") }, 0, `PGPORT="65536": want a port number, 1 to 65535`},
		{"port zero", "0", func(r *Reader) any { return r.Port("PGPORT") }, 0, `PGPORT="0": want a port number`},
		{"string trimmed", "  x ", func(r *Reader) any { return r.String("S") }, "x", ""},
		{"raw as set", "  x ", func(r *Reader) any { return r.Raw("S") }, "  x ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(func(string) string { return tc.v })
			if got := tc.read(r); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("read %q = %v, want %v", tc.v, got, tc.want)
			}
			err := r.Err("test settings")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "test settings: ")):
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestReaderCollectsEveryError: two bad variables, both named in one error.
func TestReaderCollectsEveryError(t *testing.T) {
	env := map[string]string{"A": "x", "B": "y"}
	r := NewReader(func(k string) string { return env[k] })
	r.Bool("A")
	r.Duration("B")
	err := r.Err("s")
	if err == nil || !strings.Contains(err.Error(), `A="x"`) || !strings.Contains(err.Error(), `B="y"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestVarsRoundTrip: what Vars writes, a Reader reads back; empty and false values are left out.
func TestVarsRoundTrip(t *testing.T) {
	e := Vars{}
	e.String("S", "v")
	e.String("EMPTY", "")
	e.Bool("T", true)
	e.Bool("F", false)
	e.Int("N", 0)
	e.Duration("D", 90*time.Second)
	e.Duration("ZERO", 0)
	e.Add(map[string]string{"S": "w"})
	want := Vars{"S": "w", "T": "true", "N": "0", "D": "1m30s"}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("Vars = %v, want %v", e, want)
	}
	r := NewReader(func(k string) string { return e[k] })
	n, set := r.Bytes("N")
	if r.String("S") != "w" || !r.Bool("T") || r.Bool("F") || n != 0 || !set || r.Duration("D") != 90*time.Second || r.Err("x") != nil {
		t.Fatalf("read back differently: %v", r.Err("x"))
	}
}

// TestUnsetLibpq removes every PG* variable, empty ones included, and nothing else.
func TestUnsetLibpq(t *testing.T) {
	for k, v := range map[string]string{"PGHOST": "192.0.2.1", "PGDATABASE": "lb_stray", "PGEMPTY": "", "NOTPG_HOST": "keep"} {
		t.Setenv(k, v)
	}
	if got := ProcessLibpq(); !containsAll(got, "PGDATABASE", "PGHOST") || slices.Contains(got, "PGEMPTY") {
		t.Fatalf("ProcessLibpq = %v, want PGDATABASE and PGHOST (not the empty PGEMPTY)", got)
	}
	removed, err := UnsetLibpq()
	if err != nil {
		t.Fatal(err)
	}
	if !containsAll(removed, "PGDATABASE", "PGEMPTY", "PGHOST") {
		t.Errorf("removed %v", removed)
	}
	for _, k := range []string{"PGHOST", "PGDATABASE", "PGEMPTY"} {
		if _, ok := os.LookupEnv(k); ok {
			t.Errorf("%s still set", k)
		}
	}
	if os.Getenv("NOTPG_HOST") != "keep" {
		t.Error("NOTPG_HOST was removed")
	}
	if got := ProcessLibpq(); len(got) != 0 {
		t.Errorf("ProcessLibpq after UnsetLibpq = %v", got)
	}
}

func containsAll(names []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(names, w) {
			return false
		}
	}
	return true
}
