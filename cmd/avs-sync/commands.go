package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/faultlog"
	"github.com/avs-sync/avs-sync/monitor"
	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/submitter"
	"github.com/avs-sync/avs-sync/syncer"
	"github.com/avs-sync/avs-sync/watcher"
)

// daemonFlags are the flags of the commands that send transactions.
type daemonFlags struct {
	Node      NodeFlags     `embed:""`
	Contracts ContractFlags `embed:""`
	Signer    SignerFlags   `embed:""`
	Sync      SyncFlags     `embed:""`
	Metrics   MetricsFlags  `embed:""`
}

// prepared is a daemon's parts, built from its flags.
type prepared struct {
	ch     *chain
	reg    *prometheus.Registry
	sy     *syncer.Syncer
	sender *submitter.Sender
}

// prepare builds the daemon; tune, if set, adjusts the planner's configuration (watch's own
// flags).
func (f daemonFlags) prepare(ctx context.Context, log *slog.Logger, tune func(*planner.Config)) (*prepared, error) {
	if err := f.Metrics.Validate(); err != nil {
		return nil, usage(err)
	}
	if err := f.Metrics.allowsReads(f.Node.ReaderTimeoutDuration); err != nil {
		return nil, usage(err)
	}
	reg := newRegistry()
	ch, err := connect(ctx, log, f.Node, f.Contracts, reg)
	if err != nil {
		return nil, err
	}
	if f.Node.ChainID == 0 {
		// The original tool signed for whatever chain the node serves; keep that, but say so.
		log.Warn("--chain-id not set: signing for the node's chain; set --chain-id to refuse a node of another chain", "chain_id", ch.contracts.ChainID)
	}
	cfg, err := syncerConfig(ctx, log, ch, f.Sync, f.Node.ReaderTimeoutDuration)
	if err != nil {
		ch.Close()
		return nil, err
	}
	cfg.Heartbeat = f.Metrics.Heartbeat()
	if tune != nil {
		tune(&cfg.Planner)
		if err := cfg.Planner.Validate(); err != nil {
			ch.Close()
			return nil, usage(err)
		}
	}
	txm, from, err := sender(ctx, log, ch, f.Signer, f.Sync, reg)
	if err != nil {
		ch.Close()
		return nil, err
	}
	sub, err := submitter.New(submitter.Config{GasBudget: f.Sync.GasBudget, Timeout: f.Sync.WriterTimeoutDuration},
		ch.eth, txm, from, ch.contracts, log, reg)
	if err != nil {
		ch.Close()
		return nil, err
	}
	sy := syncer.New(cfg, ch.reader, sub, ch.eth, log, reg, nil)
	// Every mined transaction counts in the gas budget, also one mined for work a send gave up on.
	txm.OnReceipt(sy.Spent)
	return &prepared{ch: ch, reg: reg, sy: sy, sender: txm}, nil
}

// serve runs the metrics server beside main, and stops it when main returns.
func serve(ctx context.Context, log *slog.Logger, f MetricsFlags, reg *prometheus.Registry, checks monitor.Checks, main func(context.Context) error) error {
	if f.MetricsAddr == "" {
		return main(ctx)
	}
	srv, err := monitor.Listen(f.MetricsAddr, reg, checks, log)
	if err != nil {
		return usage(err)
	}
	srvCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var srvErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		srvErr = srv.Serve(srvCtx)
	}()
	err = main(ctx)
	stop()
	wg.Wait()
	return errors.Join(err, srvErr)
}

// WatchCmd is the daemon.
type WatchCmd struct {
	daemonFlags
	MaxStaleness time.Duration `name:"max-staleness" group:"sync" default:"0s" help:"Latency budget of a busy AVS (0 = off): a change arriving within this long of the previous one waits with the changes around it, at most this long, and they go out together in fewer transactions; the first change after a quiet period still goes after --debounce."`
	SweepMode    string        `name:"sweep-mode" group:"sync" enum:"audit,material,refresh" default:"audit" help:"What the periodic sweep does: audit reads every operator's stored stake against its weight (free calls) and sends only what is stale, in the cheapest shape; material audits too but leaves stakes within --min-stake-change of their weights as they are, so drift below it is never paid for; refresh updates every quorum whole, as the bare command does. Stale-stakes deadlines refresh whole in all three."`
}

// Run watches the chain until interrupted.
func (c *WatchCmd) Run(ctx context.Context, log *slog.Logger) error {
	if c.SweepMode == string(planner.SweepMaterial) && c.Sync.MinStakeChange == 0 {
		log.Warn("--sweep-mode material with --min-stake-change 0 stores every difference, as audit does")
	}
	p, w, err := c.start(ctx, log)
	var bad usageError
	if err != nil && !errors.As(err, &bad) {
		p, w, err = c.startUntilUp(ctx, log, err)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	defer p.ch.Close()
	lim := c.Metrics.Limits(c.Sync.Confirmations, c.Node.EthWSURL != "")
	ready := func() error { return syncer.Ready(time.Now(), p.sy.Status(), w.Status(), lim) }
	live := func() error { return syncer.Live(time.Now(), p.sy.Status(), lim) }
	return serve(ctx, log, c.Metrics, p.reg, monitor.Checks{Ready: ready, Live: live}, func(ctx context.Context) error {
		head := func() uint64 { return p.sy.Status().Head }
		return watchingBalance(ctx, p.sender, head, func(ctx context.Context) error { return p.sy.Watch(ctx, w) })
	})
}

// startUntilUp starts again while start-up fails for the node's reasons (bad input is returned at
// once), waiting 1 s doubling up to a minute between tries: a provider's bad day keeps the process
// up and saying why, where an exit would be a crash loop under any restart policy. Meanwhile
// /readyz answers 503 with the last reason and /healthz 200; the log has a line when the fault
// starts, a summary a minute and one when start-up succeeds.
func (c *WatchCmd) startUntilUp(ctx context.Context, log *slog.Logger, first error) (*prepared, *watcher.Watcher, error) {
	fault := faultlog.New(log, "start-up", time.Minute, nil)
	fault.Fail(first)
	var mu sync.Mutex
	last := first
	srvCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		stop()
		wg.Wait() // the port is free again for the daemon's own server
	}()
	if c.Metrics.MetricsAddr != "" {
		notReady := func() error {
			mu.Lock()
			defer mu.Unlock()
			return fmt.Errorf("starting: %s", faultlog.Cut(last.Error()))
		}
		srv, err := monitor.Listen(c.Metrics.MetricsAddr, prometheus.NewRegistry(), monitor.Checks{Ready: notReady}, log)
		if err != nil {
			return nil, nil, usage(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = srv.Serve(srvCtx)
		}()
	}
	wait := time.Second
	for tries := 2; ; tries++ {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, ctx.Err()
		case <-t.C:
		}
		p, w, err := c.start(ctx, log)
		var bad usageError
		if err == nil || errors.As(err, &bad) {
			if err == nil {
				log.Info("started", "tries", tries)
			}
			return p, w, err
		}
		fault.Fail(err)
		mu.Lock()
		last = err
		mu.Unlock()
		wait = min(2*wait, time.Minute)
	}
}

// start connects, loads the AVS's state and builds the watcher from the head.
func (c *WatchCmd) start(ctx context.Context, log *slog.Logger) (*prepared, *watcher.Watcher, error) {
	p, err := c.prepare(ctx, log, func(pc *planner.Config) {
		pc.SweepMode = planner.SweepMode(c.SweepMode)
		pc.MaxStaleness = c.MaxStaleness
	})
	if err != nil {
		return nil, nil, err
	}
	head, err := p.ch.eth.BlockNumber(ctx)
	if err != nil {
		p.ch.Close()
		return nil, nil, fmt.Errorf("read chain head: %w", err)
	}
	w, err := watcher.New(watcher.Config{
		HTTPURL:       c.Node.EthHTTPURL,
		WSURL:         c.Node.EthWSURL,
		Sources:       watcher.Sources{DelegationManager: p.ch.contracts.DelegationManager, RegistryCoordinator: p.ch.contracts.RegistryCoordinator, StakeRegistry: p.ch.contracts.StakeRegistry, AllocationManager: p.ch.contracts.AllocationManager, AVS: p.ch.contracts.AVS},
		Confirmations: c.Sync.Confirmations,
		PollInterval:  c.Node.PollInterval,
		BlockTime:     c.Node.BlockTime,
		MaxRange:      c.Node.MaxLogRange,
		BatchSize:     c.Node.batchSize(),
		StateDir:      c.Sync.StateDir,
		StartBlock:    head + 1,
		ChainID:       p.ch.contracts.ChainID,
		HTTPClient:    p.ch.httpClient,
	}, log, p.reg)
	if err != nil {
		p.ch.Close()
		return nil, nil, usage(err)
	}
	return p, w, nil
}

// SyncCmd is the original tool's behaviour, run when no command is named.
type SyncCmd struct {
	daemonFlags
}

// Run sweeps every --sync-interval; with 0, once.
func (c *SyncCmd) Run(ctx context.Context, log *slog.Logger) error {
	if d := c.Sync.SleepBeforeFirstSync; d > 0 {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d):
		}
	}
	p, err := c.prepare(ctx, log, nil)
	if err != nil {
		return err
	}
	defer p.ch.Close()
	ready := func() error {
		if !p.sy.Status().Started && c.Sync.SyncInterval > 0 {
			return errors.New("starting")
		}
		return nil
	}
	return serve(ctx, log, c.Metrics, p.reg, monitor.Checks{Ready: ready}, func(ctx context.Context) error {
		return watchingBalance(ctx, p.sender, nil, p.sy.Cron)
	})
}

// SweepCmd updates everything once.
type SweepCmd struct {
	Node      NodeFlags     `embed:""`
	Contracts ContractFlags `embed:""`
	Signer    SignerFlags   `embed:""`
	Sync      SyncFlags     `embed:""`
}

// Run sweeps once.
func (c *SweepCmd) Run(ctx context.Context, log *slog.Logger) error {
	f := daemonFlags{Node: c.Node, Contracts: c.Contracts, Signer: c.Signer, Sync: c.Sync}
	p, err := f.prepare(ctx, log, nil)
	if err != nil {
		return err
	}
	defer p.ch.Close()
	return p.sy.Sweep(ctx)
}

// PlanCmd is the dry run.
type PlanCmd struct {
	Node      NodeFlags     `embed:""`
	Contracts ContractFlags `embed:""`
	Sync      SyncFlags     `embed:""`
	From      string        `name:"from" placeholder:"ADDRESS" help:"Sender to estimate gas for (default: the zero address)."`
	Full      bool          `name:"sweep" help:"Plan the full sweep of every quorum, not only the stale operators."`
	JSON      bool          `name:"json" help:"Print JSON."`
}

// planOutput is what `plan` prints.
type planOutput struct {
	Block        uint64            `json:"block"`
	Checked      int               `json:"operators_checked"`
	Noops        int               `json:"noops"`
	Stale        []common.Address  `json:"stale_operators"`
	Covered      int               `json:"stale_covered_by_quorum_refresh"`
	Quorums      []uint8           `json:"quorums"`
	HeldBack     []heldOperator    `json:"held_back"`
	Transactions []planTransaction `json:"transactions"`
	TotalGas     uint64            `json:"total_gas_estimate"`
}

// heldOperator is a stale operator left out of the updates, and why.
type heldOperator struct {
	Operator common.Address `json:"operator"`
	Reason   string         `json:"reason"`
}

type planTransaction struct {
	Kind        string           `json:"kind"`
	Operators   []common.Address `json:"operators,omitempty"`
	Quorums     []uint8          `json:"quorums,omitempty"`
	GasEstimate uint64           `json:"gas_estimate"`
	// Error says why this part would not land (its estimate reverts, or it is too large); the
	// other parts would still be sent.
	Error string `json:"error,omitempty"`
}

// Run prints the plan.
func (c *PlanCmd) Run(ctx context.Context, log *slog.Logger, out io.Writer) error {
	ch, err := connect(ctx, log, c.Node, c.Contracts, nil)
	if err != nil {
		return err
	}
	defer ch.Close()
	cfg, err := syncerConfig(ctx, log, ch, c.Sync, c.Node.ReaderTimeoutDuration)
	if err != nil {
		return err
	}
	from, err := parseAddress("from", c.From, false)
	if err != nil {
		return usage(err)
	}
	head, err := ch.eth.BlockNumber(ctx)
	if err != nil {
		return fmt.Errorf("read chain head: %w", err)
	}
	b := planner.Batch{Head: head, Reason: planner.ReasonDirty, Operators: cfg.Operators}
	if len(b.Operators) == 0 {
		if b.Operators, err = ch.reader.AllOperators(ctx, head); err != nil {
			return fmt.Errorf("read registered operators: %w", err)
		}
	}
	if c.Full {
		qs, err := ch.reader.Quorums(ctx, head)
		if err != nil {
			return fmt.Errorf("read quorums: %w", err)
		}
		for _, q := range qs {
			if len(c.Sync.Quorums) == 0 || slices.Contains(c.Sync.Quorums, q.Number) {
				b.Quorums = append(b.Quorums, q.Number)
			}
		}
		b.Reason = planner.ReasonSweep
	}
	plan, res, err := planner.NewResolver(ch.reader, cfg.Planner).Resolve(ctx, b)
	if err != nil {
		return fmt.Errorf("read stakes: %w", err)
	}
	sub, err := submitter.New(submitter.Config{GasBudget: c.Sync.GasBudget}, ch.eth, nil, from, ch.contracts, log, nil)
	if err != nil {
		return err
	}
	txs, err := sub.Estimates(ctx, plan)
	if err != nil {
		return fmt.Errorf("estimate transactions: %w", err)
	}
	po := planOutput{Block: head, Checked: res.Candidates, Noops: res.Noops, Stale: plan.Operators, Covered: res.Covered,
		HeldBack: []heldOperator{}, Transactions: []planTransaction{}}
	for _, op := range res.Immaterial {
		po.HeldBack = append(po.HeldBack, heldOperator{Operator: op, Reason: planner.HeldImmaterial})
	}
	for _, q := range plan.Quorums {
		po.Quorums = append(po.Quorums, q.Quorum)
	}
	for _, e := range txs {
		pt := planTransaction{Kind: e.Tx.Kind, Operators: e.Tx.Operators, Quorums: e.Tx.Quorums, GasEstimate: e.Tx.GasEstimate}
		if e.Err != nil {
			pt.Error = e.Err.Error()
		}
		po.Transactions = append(po.Transactions, pt)
		po.TotalGas += e.Tx.GasEstimate
	}
	if c.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(po)
	}
	fmt.Fprintf(out, "block %d: %d operators checked, %d already up to date, %d stale", po.Block, po.Checked, po.Noops, len(po.Stale)+res.Covered)
	if len(po.Quorums) > 0 {
		fmt.Fprintf(out, ", quorums %v refreshed whole", po.Quorums)
	}
	fmt.Fprintln(out)
	for _, op := range po.Stale {
		fmt.Fprintf(out, "  stale: %s\n", op)
	}
	for _, h := range po.HeldBack {
		fmt.Fprintf(out, "  held back (%s: changed by less than --min-stake-change %g, left to the sweep): %s\n", h.Reason, c.Sync.MinStakeChange, h.Operator)
	}
	if len(po.Transactions) == 0 {
		fmt.Fprintln(out, "nothing to send")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tFUNCTION\tOPERATORS\tQUORUMS\tGAS ESTIMATE")
	for i, tx := range po.Transactions {
		n := len(tx.Operators)
		if tx.Kind == submitter.KindUpdateOperatorsForQuorum {
			n = 0
			for _, q := range txs[i].Tx.OperatorsPerQuorum {
				n += len(q)
			}
		}
		gas := fmt.Sprint(tx.GasEstimate)
		if tx.Error != "" {
			gas = "fails: " + tx.Error
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%v\t%s\n", i+1, tx.Kind, n, tx.Quorums, gas)
	}
	fmt.Fprintf(tw, "\ttotal\t\t\t%d\n", po.TotalGas)
	return tw.Flush()
}

// StatusCmd shows per-quorum freshness.
type StatusCmd struct {
	Node      NodeFlags     `embed:""`
	Contracts ContractFlags `embed:""`
	Quorums   []uint8       `name:"quorums" sep:"," help:"Only these quorums."`
	JSON      bool          `name:"json" help:"Print JSON."`
	// MinStakeChange is the daemon's materiality rule, to tell which stale operators it holds back.
	MinStakeChange float64 `name:"min-stake-change" default:"0.001" placeholder:"FRACTION" help:"The daemon's --min-stake-change: stale operators below it are shown as held back (immaterial)."`
}

// Run prints the status table.
func (c *StatusCmd) Run(ctx context.Context, log *slog.Logger, out io.Writer) error {
	ch, err := connect(ctx, log, c.Node, c.Contracts, nil)
	if err != nil {
		return err
	}
	defer ch.Close()
	head, err := ch.eth.BlockNumber(ctx)
	if err != nil {
		return fmt.Errorf("read chain head: %w", err)
	}
	if c.MinStakeChange < 0 || c.MinStakeChange >= 1 {
		return usage(errors.New("--min-stake-change must be a fraction from 0 to below 1 (0.001 = 0.1%)"))
	}
	reports, err := syncer.Inspect(ctx, ch.reader, head, c.Quorums, c.MinStakeChange)
	if errors.Is(err, syncer.ErrUnknownQuorum) {
		return usage(err)
	}
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Block   uint64                `json:"block"`
			Quorums []syncer.QuorumReport `json:"quorums"`
		}{head, reports})
	}
	fmt.Fprintf(out, "block %d, registry coordinator %s\n", head, ch.contracts.RegistryCoordinator)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUORUM\tSTAKE TYPE\tOPERATORS\tSTALE\tHELD BACK\tLAST FULL UPDATE\tBLOCKS SINCE\tDEADLINE")
	for _, r := range reports {
		deadline := "-"
		if r.Deadline > 0 {
			deadline = fmt.Sprint(r.Deadline)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Quorum, r.StakeType, r.Operators, len(r.Stale), len(r.HeldBack), r.UpdateBlock, r.BlocksSinceUpdate, deadline)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reports {
		for _, h := range r.HeldBack {
			fmt.Fprintf(out, "quorum %d: %s held back (%s: changed by less than --min-stake-change %g, left to the sweep)\n", r.Quorum, h.Operator, h.Reason, c.MinStakeChange)
		}
	}
	return nil
}
