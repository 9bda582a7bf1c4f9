package main

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// DevnetCmd runs a local chain with EigenLayer and a mock AVS, registers operators and optionally
// moves their stakes, so that `avs-sync watch` has something to keep fresh.
type DevnetCmd struct {
	BlockTime        time.Duration `default:"1s" help:"Time between blocks."`
	Operators        int           `default:"3" help:"Operators to register with the AVS in quorum 0."`
	Activity         bool          `help:"Make stake changes every few blocks (deposits to registered operators and to outsiders)."`
	Every            int           `default:"5" help:"With --activity, blocks between stake changes."`
	M2               bool          `name:"m2" help:"Start the pre-slashing (M2) deployment instead of the slashing one."`
	Profile          string        `enum:",eigenda,ecdsa" default:"" help:"Start with a populated AVS shape instead of --operators: eigenda (quorum 0 over ten strategies, a single-strategy quorum, a slashable quorum, 240 operators with skewed stake); ecdsa (an ECDSAStakeRegistry over four strategies with basis-point multipliers and a minimum weight, 48 operators with skewed stake). Built once, then started from a cache."`
	Watch            bool          `help:"Also run avs-sync watch against the chain, in this process, with a debounce of three blocks."`
	WatchMetricsAddr string        `default:"127.0.0.1:9090" help:"With --watch, its metrics address (empty = off)."`
}

// Run starts the devnet and blocks until ctx ends.
func (c *DevnetCmd) Run(ctx context.Context, log *slog.Logger, out io.Writer, lf LogFlags) error {
	flavor := devnet.Slashing
	if c.M2 {
		flavor = devnet.M2
	}
	if c.Profile != "" && c.M2 {
		return errors.New("--profile needs the slashing deployment: drop --m2")
	}
	began := time.Now()
	accounts := c.Operators + 2
	if c.Profile != "" {
		accounts = 0
	}
	d, err := devnet.Start(ctx, devnet.Options{Flavor: flavor, BlockTime: c.BlockTime, Accounts: accounts, Logger: log, Profile: devnet.Profile(c.Profile)})
	if err != nil {
		return err
	}
	defer d.Close()
	log.Info("devnet started", "took", time.Since(began).Round(time.Millisecond), "chain_id", devnet.ChainID, "flavor", flavor, "profile", c.Profile)

	var (
		ops      []*devnet.Actor
		outsider *devnet.Actor
	)
	if d.Shape != nil {
		pop, err := d.Actors(ctx)
		if err != nil {
			return err
		}
		defer pop.Close()
		for _, m := range pop.Registered {
			ops = append(ops, m.Actor)
		}
		outsider = pop.Outsiders[0]
		for _, q := range d.Shape.Quorums {
			log.Info("quorum", "quorum", q.Number, "strategies", len(q.Strategies), "slashable", q.Slashable, "operators", len(d.Shape.Members(q.Number)))
		}
	}
	for i := 0; d.Shape == nil && i < c.Operators; i++ {
		a, err := d.Actor(ctx, 3+i)
		if err != nil {
			return err
		}
		defer a.Close()
		if err := a.RegisterOperator(ctx); err != nil {
			return err
		}
		if err := a.RegisterWithAVS(ctx, 0); err != nil {
			return err
		}
		log.Info("operator registered", "operator", a.Address, "quorum", 0)
		ops = append(ops, a)
	}
	a := d.Addresses
	if d.Shape != nil && d.Shape.ECDSAStakeRegistry != (common.Address{}) {
		fmt.Fprintf(out, `
avs-sync devnet is running (chain id %d, %s deployment, an ECDSA AVS).

  HTTP RPC                  %s
  websocket RPC             %s
  ECDSA stake registry      %s
  delegation manager        %s
  funded key                %s

In another terminal:

  avs-sync watch --eth-http-url %s --eth-ws-url %s \
    --ecdsa-stake-registry-addr %s --delegation-manager-addr %s \
    --ecdsa-private-key %s

Ctrl-C stops the chain.
`, devnet.ChainID, flavor, d.HTTPURL, d.WSURL, d.Shape.ECDSAStakeRegistry, a.DelegationManager, keyHex(d.Key(1)),
			d.HTTPURL, d.WSURL, d.Shape.ECDSAStakeRegistry, a.DelegationManager, keyHex(d.Key(1)))
	} else {
		fmt.Fprintf(out, `
avs-sync devnet is running (chain id %d, %s deployment).

  HTTP RPC                  %s
  websocket RPC             %s
  registry coordinator      %s
  operator state retriever  %s
  service manager           %s
  delegation manager        %s
  funded key                %s

In another terminal:

  avs-sync watch --eth-http-url %s --eth-ws-url %s \
    --registry-coordinator-addr %s --operator-state-retriever-addr %s \
    --ecdsa-private-key %s

Ctrl-C stops the chain.
`, devnet.ChainID, flavor, d.HTTPURL, d.WSURL, a.RegistryCoordinator, a.OperatorStateRetriever, a.ServiceManager,
			a.DelegationManager, keyHex(d.Key(1)), d.HTTPURL, d.WSURL, a.RegistryCoordinator, a.OperatorStateRetriever, keyHex(d.Key(1)))
	}

	if c.Watch {
		args := []string{"watch", "--eth-http-url", d.HTTPURL, "--eth-ws-url", d.WSURL,
			"--registry-coordinator-addr", a.RegistryCoordinator.Hex(), "--operator-state-retriever-addr", a.OperatorStateRetriever.Hex(),
			"--ecdsa-private-key", keyHex(d.Key(1)), "--debounce", (3 * c.BlockTime).String(), "--metrics-addr", c.WatchMetricsAddr,
			"--log-format", lf.LogFormat, "--log-level", lf.LogLevel}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := run(ctx, args, out, os.Stderr); code != 0 && ctx.Err() == nil {
				log.Error("avs-sync watch stopped", "exit_status", code)
			}
		}()
		defer wg.Wait()
	}
	if !c.Activity || len(ops) == 0 {
		<-ctx.Done()
		return nil
	}
	if outsider == nil {
		if outsider, err = d.Actor(ctx, 3+c.Operators); err != nil {
			return err
		}
		defer outsider.Close()
		if err := outsider.RegisterOperator(ctx); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tick := time.NewTicker(time.Duration(c.Every) * c.BlockTime)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		who := outsider
		if rng.IntN(2) == 0 {
			who = ops[rng.IntN(len(ops))]
		}
		amount := new(big.Int).Mul(big.NewInt(int64(1+rng.IntN(9))), big.NewInt(1e17))
		if _, err := who.Deposit(ctx, amount); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("activity deposit failed", "operator", who.Address, "err", err)
			continue
		}
		log.Info("activity: deposit", "operator", who.Address, "amount", amount, "registered_with_avs", who != outsider)
	}
}

func keyHex(k *ecdsa.PrivateKey) string { return hex.EncodeToString(crypto.FromECDSA(k)) }
