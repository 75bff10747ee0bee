package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// pgbenchScript is the payslip endpoint's SQL for pgbench (payslip.sql says what it holds).
//
//go:embed payslip.sql
var pgbenchScript string

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)

// pgbench runs the payslip SQL on tenant t with clients connections for d and returns the
// transactions per second, or 0 and why it could not.
func pgbench(ctx context.Context, work, dbURL string, t tenantInfo, clients int, d time.Duration) (float64, string) {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		return 0, "pgbench is not installed"
	}
	script := filepath.Join(work, "payslip.sql")
	if err := os.WriteFile(script, fmt.Appendf(nil, pgbenchScript, len(t.Logins)-1, t.Year, t.Month, fmt.Sprintf("%02d", t.Month), t.Schema), 0o600); err != nil {
		return 0, err.Error()
	}
	cmd := exec.CommandContext(ctx, bin, "-n", "-c", strconv.Itoa(clients), "-j", "2",
		"-T", strconv.Itoa(max(1, int(d.Seconds()))), "-f", script, dbURL)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c search_path="+t.Schema)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Sprintf("pgbench: %v: %s", err, lastLines(string(out), 5))
	}
	m := tpsLine.FindStringSubmatch(string(out))
	if m == nil {
		return 0, "no tps in pgbench's output"
	}
	tps, _ := strconv.ParseFloat(m[1], 64)
	return tps, ""
}

func lastLines(s string, n int) string {
	lines := regexp.MustCompile(`\r?\n`).Split(s, -1)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprint(lines)
}
