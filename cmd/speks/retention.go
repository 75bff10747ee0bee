package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/retention"
)

func newRetentionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retention",
		Short: "Purge payslips, statements, payments, import batches, old mail and verification tokens past their retention period",
	}
	cmd.AddCommand(newRetentionRunCommand())
	return cmd
}

func newRetentionRunCommand() *cobra.Command {
	var tenantCode string
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "run --tenant CODE [--dry-run]",
		Short: "Run the retention purge of one tenant now (the scheduler runs it nightly)",
		Long: `Delete the tenant's payslips, EC statements and payments older than its retention_months
(24 by default; an EC statement counts from the end of its year) and import batches older than
13 months, in small transactions; then sent and failed mail older than 90 days, verification
tokens issued before the same cut-off and expired payment unlocks. The run (cut-offs and counts)
is recorded in retention_runs. --dry-run only counts what would go; it is recorded too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, rt, _, err := openTenant(cmd, tenantCode)
			if err != nil {
				return err
			}
			defer rt.Close()
			rep, err := retention.Run(ctx, retention.Options{DryRun: dryRun, Actor: "cli", Sweeps: retentionSweeps()})
			if rep != nil {
				printRetention(cmd, rep, asJSON)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&tenantCode, "tenant", "", "tenant code (required)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "count what would be deleted, delete nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	_ = cmd.MarkFlagRequired("tenant")
	return cmd
}

func printRetention(cmd *cobra.Command, rep *retention.Report, asJSON bool) {
	out := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return
	}
	verb := "deleted"
	if rep.DryRun {
		verb = "would be deleted (dry run)"
	}
	fmt.Fprintf(out, "tenant %s, retention %d months: payslips and payments before %s, EC statements before %d, "+
		"import batches before %s (run %d)\n", rep.Tenant, rep.RetentionMonths, rep.Cutoff, rep.StatementsBeforeYear,
		rep.BatchesBefore.Format("2006-01-02"), rep.RunID)
	kinds := make([]string, 0, len(rep.Counts))
	for k := range rep.Counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(out, "  %-17s %d %s\n", k+":", rep.Counts[k], verb)
	}
}

// withPlatformTasks serves the tasks that concern every tenant — their payload names no
// tenant, so the tenant-scope middleware of tenantMux would refuse them — and hands every
// other task to tenantMux.
func (rt *runtime) withPlatformTasks(tenantMux *asynq.ServeMux) (asynq.Handler, error) {
	redisOpt, err := rt.redisOpt()
	if err != nil {
		return nil, err
	}
	platform := map[string]asynq.Handler{
		retention.TaskFanOut: &retention.FanOut{Tenants: rt.registry, Redis: redisOpt},
	}
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if h, ok := platform[t.Type()]; ok {
			return h.ProcessTask(ctx, t)
		}
		return tenantMux.ProcessTask(ctx, t)
	}), nil
}
