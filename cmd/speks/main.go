// Command speks is the whole platform in one binary: the web server, the job worker, the
// scheduler, migrations, tenant administration, feeds and the demo (docs/API.md "Command line").
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		var exit *exitError
		if errors.As(err, &exit) {
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "speks:", err)
		os.Exit(1)
	}
}

// exitError ends the process with a status after its message was already printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "speks",
		Short:         "SPEKS Portal: payslips, EC statements and payment advice for every state, multi-tenant",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	config.BindFlags(root.PersistentFlags())
	root.AddCommand(
		newServeCommand(),
		newWorkerCommand(),
		newSchedulerCommand(),
		newMigrateCommand(),
		newTenantCommand(),
		newDemoCommand(),
		newImportCommand(), newAPIKeyCommand(), newRetentionCommand(),
		newUserCommand(), newSecretsCommand(),
	)
	return root
}
