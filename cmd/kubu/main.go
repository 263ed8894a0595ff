// Command kubu is the whole-of-government cyber defence platform.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubu-gov/kubu/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(cli.OSEnv(ctx))
	stop()
	os.Exit(code)
}
