package ids

import "testing"

func TestMaskKeepsTheLastFour(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"850314105523", "********5523"},
		{" 850314105523 ", "********5523"},
		{"201901000005", "********0005"},
		{"1312525-A", "*****25-A"},
		{"5140-1234 5678", "**********5678"},
		{"ÀÉÎÕÜ1", "**ÎÕÜ1"},
		{"1234", "****"},
		{"12", "****"},
		{"", ""},
		{"   ", ""},
	} {
		if got := Mask(c.in); got != c.want {
			t.Errorf("Mask(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
