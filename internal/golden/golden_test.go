package golden

import "testing"

func TestDiff(t *testing.T) {
	got := Diff("a\nb\nc\nd", "a\nB\nc\nd")
	want := "    1 a\n-   2 b\n+   2 B\n    3 c\n"
	if got != want {
		t.Errorf("Diff = %q; want %q", got, want)
	}
}
