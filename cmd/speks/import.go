package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/feed"
)

func newImportCommand() *cobra.Command {
	var tenantCode, idempotencyKey string
	cmd := &cobra.Command{
		Use:   "import --tenant CODE KIND FILE",
		Short: "Import a CSV feed (employees, suppliers, payslips, statements, payments) into a tenant, all or nothing",
		Long: `Import a CSV feed into a tenant through the same code as POST /api/v1/feeds/{kind}.
The answer {batch_id, kind, rows, inserted, updated, unchanged, errors} is printed as JSON on
standard output. A file with any error writes nothing: the errors are printed and the exit
status is 1. FILE "-" reads standard input. Re-importing the same file changes nothing.`,
		Example: "  speks import --tenant selangor payslips gaji-2026-10.csv",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := feed.ParseKind(args[0])
			if err != nil {
				return fmt.Errorf("unknown feed %q: one of employees, suppliers, payslips, statements, payments", args[0])
			}
			in, closeIn, err := openInput(cmd, args[1])
			if err != nil {
				return err
			}
			defer closeIn()
			ctx, rt, scope, err := openTenant(cmd, tenantCode)
			if err != nil {
				return err
			}
			defer rt.Close()
			res, err := feed.Import(ctx, kind, in, feed.Options{Actor: "cli", IdempotencyKey: idempotencyKey,
				Publish: &feed.Publishing{BaseURL: rt.tenantBaseURL(scope.Tenant)}})
			return printImport(cmd, res, err)
		},
	}
	cmd.Flags().StringVar(&tenantCode, "tenant", "", "tenant code, e.g. selangor (required)")
	cmd.Flags().StringVar(&idempotencyKey, "idempotency-key", "", "a key that makes a repeated import return the first answer")
	_ = cmd.MarkFlagRequired("tenant")
	return cmd
}

func openInput(cmd *cobra.Command, path string) (io.Reader, func(), error) {
	if path == "-" {
		return cmd.InOrStdin(), func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open feed file: %w", err)
	}
	return f, func() { _ = f.Close() }, nil
}

// printImport prints the answer as JSON; a refused file exits 1 after its errors.
func printImport(cmd *cobra.Command, res *feed.Result, err error) error {
	if res != nil {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if encErr := enc.Encode(res); encErr != nil {
			return encErr
		}
		if res.Replayed {
			fmt.Fprintf(cmd.ErrOrStderr(), "speks: this file was already imported as batch %d; nothing was written\n", res.BatchID)
		}
	}
	if errors.Is(err, feed.ErrInvalidFile) {
		fmt.Fprintf(cmd.ErrOrStderr(), "speks: the file has %d error(s); nothing was written\n", len(res.Errors))
		return &exitError{code: 1}
	}
	return err
}
