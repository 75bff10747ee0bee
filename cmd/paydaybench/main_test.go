package main

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestNATPoolHandsOutDistinctPrivateAddressesInTurn(t *testing.T) {
	p := newNATPool(300)
	seen := map[string]bool{}
	for range 300 {
		a := p.take()
		ip := net.ParseIP(a)
		if ip == nil || !ip.IsPrivate() {
			t.Fatalf("%q is no private address", a)
		}
		if seen[a] {
			t.Fatalf("%q handed out twice in one turn", a)
		}
		seen[a] = true
	}
	if first := p.take(); first != "10.77.0.1" {
		t.Errorf("after a full turn: %q, want the first address again", first)
	}
	if got := len(newNATPool(0).addrs); got != 1 {
		t.Errorf("a pool of 0 has %d addresses, want 1", got)
	}
}

func TestVerdict(t *testing.T) {
	m := func(success float64, p99 time.Duration, throughput float64) *vegeta.Metrics {
		x := &vegeta.Metrics{Success: success, Throughput: throughput}
		x.Latencies.P99 = p99
		return x
	}
	for _, c := range []struct {
		m    *vegeta.Metrics
		ok   bool
		want string
	}{
		{m(1, 100*time.Millisecond, 99), true, ""},
		{m(0.95, 100*time.Millisecond, 99), false, "5.0 % errors"},
		{m(1, 800*time.Millisecond, 99), false, "p99 800ms"},
		{m(1, 100*time.Millisecond, 80), false, "throughput 80 of 100"},
	} {
		ok, why := verdict(c.m, 100, 500*time.Millisecond)
		if ok != c.ok || why != c.want {
			t.Errorf("verdict = %v %q, want %v %q", ok, why, c.ok, c.want)
		}
	}
}

func TestSessionsAreSharedThenEachSpentOnce(t *testing.T) {
	var s sessions
	for _, c := range []string{"a", "b", "c"} {
		s.add(session{cookie: c})
	}
	if x, _ := s.any(); x.cookie != "a" {
		t.Errorf("first in turn: %q", x.cookie)
	}
	var spent []string
	for {
		x, ok := s.spend()
		if !ok {
			break
		}
		spent = append(spent, x.cookie)
	}
	if strings.Join(spent, "") != "cba" || s.left() != 0 {
		t.Errorf("spent %v, %d left", spent, s.left())
	}
	if _, ok := s.any(); ok {
		t.Error("a spent session handed out again")
	}
}

func TestVmHWM(t *testing.T) {
	status := "Name:\tspeks\nVmPeak:\t 2000000 kB\nVmHWM:\t  223456 kB\nVmRSS:\t  200000 kB\n"
	if got := vmHWM(status); got != 223456<<10 {
		t.Errorf("vmHWM = %d", got)
	}
	if got := vmHWM("Name:\tx\n"); got != 0 {
		t.Errorf("vmHWM without the line = %d", got)
	}
}

func TestReportShowsRatiosToTheYardsticks(t *testing.T) {
	r := &report{Tenants: 16, Accounts: 512, Cores: 2, NAT: 64, DBConns: 10, Argon2: 40, PGBench: 1000,
		PeakConns: 57, PeakRSS: 100 << 20, Steps: []row{
			{Step: "login", Saturation: 30, Rate: 21, Throughput: 21, P50: 40 * time.Millisecond, Requests: 315},
			{Step: "payslip JSON", Saturation: 600, SatNote: "p99 812ms", Rate: 420, Throughput: 419.5, Requests: 6300, Errors: 2, ErrorCodes: "0×2"},
			{Step: "payslip page", Saturation: 540, Rate: 378, Throughput: 378},
		}}
	var buf bytes.Buffer
	r.write(&buf)
	out := buf.String()
	for _, want := range []string{
		"16 tenants, 512 staff accounts, 2 cores",
		"| login | 30 | 21.0 | 21.0 | 40.0 |",
		"| payslip JSON | 600 (p99 812ms) | 420.0 | 419.5 |",
		"2 of 6300 (0×2)",
		"login saturation 30 /s = 75 % of it",
		"payslip JSON saturation 600 /s = 60 % of it",
		"payslip page saturation = 90 % of the JSON's",
		"peak PostgreSQL connections (pg_stat_activity): 57",
		"peak RSS of speks serve (VmHWM): 100.0 MiB",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestErrorCodesListOnlyFailures(t *testing.T) {
	if got := errorCodes(map[string]int{"200": 90, "429": 7, "0": 3, "302": 1}); got != "0×3 429×7" {
		t.Errorf("errorCodes = %q", got)
	}
}

func TestScanPair(t *testing.T) {
	var a, b int
	if !scanPair("3.17", &a, &b) || a != 3 || b != 17 {
		t.Errorf("scanPair(3.17) = %d %d", a, b)
	}
	for _, bad := range []string{"", "3", "x.1", "1.-2"} {
		if scanPair(bad, &a, &b) {
			t.Errorf("scanPair(%q) accepted", bad)
		}
	}
}

func TestSelectStepsKeepsLoginForTheStepsThatNeedItsSessions(t *testing.T) {
	all := (&bench{}).steps()
	names := func(list string) string {
		t.Helper()
		got, err := selectSteps(all, list)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range got {
			out = append(out, s.name)
		}
		return strings.Join(out, ",")
	}
	for list, want := range map[string]string{
		"":                           "identify,login,home,payslip JSON,payslip page,payslip PDF,logout",
		"identify":                   "identify",
		"login":                      "login",
		"Payslip JSON, payslip page": "login,payslip JSON,payslip page",
	} {
		if got := names(list); got != want {
			t.Errorf("steps %q: got %s, want %s", list, got, want)
		}
	}
	if _, err := selectSteps(all, "payslips"); err == nil {
		t.Error("an unknown step name was accepted")
	}
}

// TestSaturationSearchNarrowsTheGap: rates rise by half until one fails, then the gap is
// halved until the answer is within saturationPrecision below the true limit; a first rate
// that fails gives 0, and a cancelled search returns what it had.
func TestSaturationSearchNarrowsTheGap(t *testing.T) {
	for _, limit := range []float64{5, 33, 100, 384, 400, 481, 2000} {
		var probes []float64
		got := searchSaturation(10, 14, func(rate float64) (bool, bool) {
			probes = append(probes, rate)
			return rate <= limit, false
		})
		if limit < 10 {
			if got != 0 {
				t.Errorf("limit %v below the first rate: got %v, want 0", limit, got)
			}
			continue
		}
		if got > limit || got < limit*(1-saturationPrecision) {
			t.Errorf("limit %v: got %v (probes %v), want within %.0f %% below it", limit, got, probes, 100*saturationPrecision)
		}
		if len(probes) > 20 {
			t.Errorf("limit %v: %d probes", limit, len(probes))
		}
	}
	calls := 0
	got := searchSaturation(10, 14, func(rate float64) (bool, bool) {
		calls++
		return true, calls == 3 // cancelled during the third probe
	})
	if got != 15 {
		t.Errorf("cancelled search: got %v, want 15, the last rate that kept up", got)
	}
}
