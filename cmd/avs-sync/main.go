// Command avs-sync keeps an EigenLayer AVS's stored operator stakes equal to their current weights.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/willabides/kongplete"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// CLI is the command line. Every flag is also an AVS_SYNC_* environment variable and a key of the
// --config YAML file; flags override the environment, which overrides the file.
type CLI struct {
	Log    LogFlags        `embed:""`
	Config kong.ConfigFlag `name:"config" type:"path" placeholder:"FILE" help:"YAML file of flag values (keys are flag names)."`

	Sync    SyncCmd    `cmd:"" default:"withargs" hidden:"" help:"Full update of every quorum every --sync-interval, as the original avs-sync did (the default command)."`
	Watch   WatchCmd   `cmd:"" help:"Run the daemon: update stale operators within blocks of the events that moved them, sweep every --sync-interval."`
	Sweep   SweepCmd   `cmd:"" help:"Update every quorum (or --operators) once now, then exit."`
	Plan    PlanCmd    `cmd:"" help:"Dry run: show what is stale and the exact transactions that would be sent, with gas estimates. Sends nothing."`
	Status  StatusCmd  `cmd:"" help:"Per quorum: operators, stale stored stakes, blocks since the last full update, deadline."`
	Devnet  DevnetCmd  `cmd:"" help:"Run a local chain with EigenLayer and a mock AVS deployed, for trying avs-sync out."`
	Version VersionCmd `cmd:"" help:"Print the version."`

	InstallCompletions kongplete.InstallCompletions `cmd:"" help:"Install shell completion (bash, zsh, fish)."`
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args and runs the chosen command; it returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cli CLI
	exited := -1
	parser, err := newParser(&cli, stdout, stderr, kong.Exit(func(code int) { exited = code }))
	if err != nil {
		fmt.Fprintln(stderr, "avs-sync:", err)
		return 2
	}
	kongplete.Complete(parser, kongplete.WithExitFunc(func(code int) { exited = code }))
	if exited >= 0 {
		return exited
	}
	args = legacyArgs(args)
	raw := rawSecrets(parser.Model, args, os.Environ())
	kctx, err := parser.Parse(args)
	if exited >= 0 {
		// --help, or a completion request: kong asked to exit after printing.
		return exited
	}
	if err != nil {
		fmt.Fprintln(stderr, "avs-sync:", newScrubber(raw).parseError(err))
		return 2
	}
	scrub := newScrubber(append(raw, flagSecrets(kctx)...))
	// What commands print (plan's estimate errors, status) is scrubbed as the logs are.
	out := &scrubWriter{w: stdout, s: scrub}
	defer out.Flush()
	logger, err := cli.Log.Logger(stderr, scrub.attr)
	if err != nil {
		fmt.Fprintln(stderr, "avs-sync:", scrub.Error(err))
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	kctx.Bind(logger, cli.Log, scrub)
	kctx.BindTo(io.Writer(out), (*io.Writer)(nil))
	if err := kctx.Run(); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "avs-sync:", scrub.Error(err))
			return 2
		}
		logger.Error("avs-sync stopped", "err", err)
		return 1
	}
	return 0
}

func newParser(cli *CLI, stdout, stderr io.Writer, extra ...kong.Option) (*kong.Kong, error) {
	opts := []kong.Option{
		kong.Name("avs-sync"),
		kong.Description("Keeps an EigenLayer AVS's on-chain operator stakes fresh: event-driven updates, with a periodic full sweep as a safety net."),
		kong.DefaultEnvars("AVS_SYNC"),
		kong.Configuration(yamlConfig),
		kong.NamedMapper("trimmed", trimmedMapper),
		kong.Writers(stdout, stderr),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.ExplicitGroups([]kong.Group{
			{Key: "node", Title: "Ethereum node"},
			{Key: "contracts", Title: "AVS contracts"},
			{Key: "signer", Title: "Transaction signer (exactly one source)"},
			{Key: "sync", Title: "What and when to update"},
			{Key: "metrics", Title: "Metrics and health"},
		}),
	}
	return kong.New(cli, append(opts, extra...)...)
}

// trimmedMapper decodes a URL flag without the spaces and newlines around it: a value from a
// Kubernetes Secret or a file often ends in a newline that is no part of the URL.
var trimmedMapper = kong.MapperFunc(func(ctx *kong.DecodeContext, target reflect.Value) error {
	var s string
	if err := ctx.Scan.PopValueInto("url", &s); err != nil {
		return err
	}
	target.SetString(strings.TrimSpace(s))
	return nil
})

// usageError is bad input on the command line: reported in one line, exit status 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints the version.
func (VersionCmd) Run(out io.Writer) error {
	fmt.Fprintln(out, "avs-sync", version)
	return nil
}
