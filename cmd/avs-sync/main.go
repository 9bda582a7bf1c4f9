// Command avs-sync keeps an EigenLayer AVS's stored operator stakes equal to their current weights.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// CLI is the command line: subcommands and the flags they share.
type CLI struct {
	Log LogFlags `embed:""`

	Devnet  DevnetCmd  `cmd:"" help:"Run a local chain with EigenLayer and a mock AVS deployed, for trying avs-sync out."`
	Version VersionCmd `cmd:"" help:"Print the version."`
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	var cli CLI
	parser, err := kong.New(&cli,
		kong.Name("avs-sync"),
		kong.Description("Keeps an EigenLayer AVS's on-chain operator stakes fresh: event-driven updates, with a periodic full sweep as a safety net."),
		kong.UsageOnError(),
		kong.DefaultEnvars("AVS_SYNC"),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "avs-sync:", err)
		return 2
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "avs-sync:", err)
		return 2
	}
	logger, err := cli.Log.Logger(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "avs-sync:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	if err := kctx.Run(logger); err != nil {
		logger.Error("avs-sync failed", "err", err)
		return 1
	}
	return 0
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints the version.
func (VersionCmd) Run() error {
	fmt.Println("avs-sync", version)
	return nil
}
