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
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/faultlog"
	"github.com/avs-sync/avs-sync/internal/backoff"
	"github.com/avs-sync/avs-sync/internal/statefile"
	"github.com/avs-sync/avs-sync/monitor"
	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
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
	// lock holds --state-dir for this process (nil without one).
	lock *statefile.Lock
}

// close disconnects and gives --state-dir up.
func (p *prepared) close() {
	p.ch.Close()
	p.lock.Release()
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
	// One process per state directory, before anything is read or sent: a second one would
	// reuse the first's nonces and count only its own gas. A directory that cannot be written is
	// a warning, as every fault of the state directory is: there is nothing in it to share.
	var lock *statefile.Lock
	if f.Sync.StateDir != "" {
		l, err := statefile.Acquire(f.Sync.StateDir, time.Now())
		switch {
		case errors.Is(err, statefile.ErrLocked):
			return nil, err
		case err != nil:
			log.Warn("state directory cannot be locked; running without the lock, so a second process on it would not be stopped", "err", err)
		}
		lock = l
	}
	p, err := f.build(ctx, log, tune)
	if err != nil {
		lock.Release()
		return nil, err
	}
	p.lock = lock
	return p, nil
}

// build connects and wires the daemon's parts.
func (f daemonFlags) build(ctx context.Context, log *slog.Logger, tune func(*planner.Config)) (*prepared, error) {
	reg, err := newRegistry()
	if err != nil {
		return nil, err
	}
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
	sy, err := syncer.New(cfg, ch.reader, sub, ch.eth, log, reg, nil)
	if err != nil {
		ch.Close()
		return nil, err
	}
	// Every mined transaction counts in the gas budget, also one mined for work a send gave up on.
	txm.OnReceipt(sy.Spent)
	sub.SetBudget(sy.GasLeft)
	return &prepared{ch: ch, reg: reg, sy: sy, sender: txm}, nil
}

// serve runs the metrics server beside main, and stops it when main returns.
func serve(ctx context.Context, log *slog.Logger, f MetricsFlags, reg *prometheus.Registry, checks monitor.Checks, main func(context.Context) error) error {
	if f.MetricsAddr == "" {
		return main(ctx)
	}
	srv, err := monitor.ListenWith(f.MetricsAddr, reg, checks, log, f.ServerLimits())
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
func (c *WatchCmd) Run(ctx context.Context, log *slog.Logger, scrub scrubber) error {
	if c.SweepMode == string(planner.SweepMaterial) && c.Sync.MinStakeChange == 0 {
		log.Warn("--sweep-mode material with --min-stake-change 0 stores every difference, as audit does")
	}
	p, w, err := c.start(ctx, log)
	if err != nil && !final(err) {
		p, w, err = c.startUntilUp(ctx, log, scrub, err)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	defer p.close()
	lim := c.Metrics.Limits(c.Sync.Confirmations, c.Node.EthWSURL != "")
	ready := func() error { return syncer.Ready(time.Now(), p.sy.Status(), w.Status(), lim) }
	live := func() error { return syncer.Live(time.Now(), p.sy.Status(), lim) }
	return serve(ctx, log, c.Metrics, p.reg, monitor.Checks{Ready: ready, Live: live, Scrub: scrub.String}, func(ctx context.Context) error {
		return watchingBalance(ctx, p.sender, c.Signer.BalanceInterval, func(ctx context.Context) error { return p.sy.Watch(ctx, w) })
	})
}

// startUntilUp starts again while start-up fails for the node's reasons (bad input is returned at
// once), waiting 1 s doubling up to a minute between tries: a provider's bad day keeps the process
// up and saying why, where an exit would be a crash loop under any restart policy. Meanwhile
// /readyz answers 503 with the last reason and /healthz 200; the log has a line when the fault
// starts, a summary a minute and one when start-up succeeds.
func (c *WatchCmd) startUntilUp(ctx context.Context, log *slog.Logger, scrub scrubber, first error) (*prepared, *watcher.Watcher, error) {
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
			return startFailure(last)
		}
		srv, err := monitor.ListenWith(c.Metrics.MetricsAddr, prometheus.NewRegistry(), monitor.Checks{Ready: notReady, Scrub: scrub.String}, log, c.Metrics.ServerLimits())
		if err != nil {
			return nil, nil, usage(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = srv.Serve(srvCtx)
		}()
	}
	waits := backoff.Policy{First: time.Second, Max: time.Minute}
	for tries := 2; ; tries++ {
		if err := backoff.Sleep(ctx, waits.Delay(tries-1)); err != nil {
			return nil, nil, err
		}
		p, w, err := c.start(ctx, log)
		if err == nil || final(err) {
			if err == nil {
				log.Info("started", "tries", tries)
			}
			return p, w, err
		}
		fault.Fail(err)
		mu.Lock()
		last = err
		mu.Unlock()
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
		p.close()
		return nil, nil, fmt.Errorf("read chain head: %w", err)
	}
	w, err := watcher.New(watcher.Config{
		HTTPURL: c.Node.EthHTTPURL,
		WSURL:   c.Node.EthWSURL,
		Sources: watcher.Sources{DelegationManager: p.ch.contracts.DelegationManager, RegistryCoordinator: p.ch.contracts.RegistryCoordinator, StakeRegistry: p.ch.contracts.StakeRegistry, AllocationManager: p.ch.contracts.AllocationManager, AVS: p.ch.contracts.AVS,
			SignatureCheckers: p.ch.reader.SignatureCheckers(), ECDSAStakeRegistry: p.ch.contracts.ECDSAStakeRegistry},
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
		p.close()
		return nil, nil, usage(err)
	}
	return p, w, nil
}

// startFailure is what /readyz says while start-up fails: the kind of failure, never the node's
// error text (it may quote a URL with a key, or a provider's page); the log has the error.
func startFailure(err error) error {
	var he rpc.HTTPError
	switch {
	case errors.Is(err, registry.ErrNoContract):
		return errors.New("starting: no contract at an address given (a node still syncing, or a wrong address); the log has the error")
	case errors.Is(err, errUnfunded):
		return errors.New("starting: the sender holds no ETH; fund it")
	case errors.Is(err, errSignerService):
		return errors.New("starting: the signer's key service (KMS, Secrets Manager or Fireblocks) fails; the log has the error")
	case errors.As(err, &he):
		return fmt.Errorf("starting: the node answers HTTP %d; the log has the error", he.StatusCode)
	}
	return errors.New("starting: reading the AVS's state from the node fails; the log has the error")
}

// final reports whether a start-up error is one that trying again cannot cure: bad input, or a
// state directory another process holds.
func final(err error) bool {
	var bad usageError
	return errors.As(err, &bad) || errors.Is(err, statefile.ErrLocked)
}

// SyncCmd is the original tool's behaviour, run when no command is named.
type SyncCmd struct {
	daemonFlags
}

// Run sweeps every --sync-interval; with 0, once.
func (c *SyncCmd) Run(ctx context.Context, log *slog.Logger, scrub scrubber) error {
	if d := c.Sync.SleepBeforeFirstSync; d > 0 {
		if backoff.Sleep(ctx, d) != nil {
			return nil
		}
	}
	p, err := c.prepare(ctx, log, nil)
	if err != nil {
		return err
	}
	defer p.close()
	ready := func() error {
		if !p.sy.Status().Started && c.Sync.SyncInterval > 0 {
			return errors.New("starting")
		}
		return nil
	}
	return serve(ctx, log, c.Metrics, p.reg, monitor.Checks{Ready: ready, Scrub: scrub.String}, func(ctx context.Context) error {
		return watchingBalance(ctx, p.sender, c.Signer.BalanceInterval, p.sy.Cron)
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
	defer p.close()
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
	// Deadlines are the stale-stakes deadlines of the quorums in scope, when the AVS forbids
	// stale stakes; a due one is refreshed whole in this plan, as the daemon would.
	Deadlines []quorumDeadline `json:"deadlines"`
}

// quorumDeadline is a quorum's stale-stakes deadline: the block from which the AVS rejects its
// stored stakes, and whether the daemon refreshes it now (within --deadline-margin).
type quorumDeadline struct {
	Quorum   uint8  `json:"quorum"`
	Deadline uint64 `json:"deadline"`
	Due      bool   `json:"due"`
}

// planDeadlines reads the stale-stakes rule at head and tells, with the daemon's planner, which
// quorums in scope are due for their deadline refresh.
func planDeadlines(ctx context.Context, ch *chain, cfg planner.Config, qs []registry.Quorum, scope []uint8, head uint64) ([]quorumDeadline, error) {
	rule, err := ch.reader.StaleStakes(ctx, head)
	if err != nil {
		return nil, err
	}
	p := planner.New(cfg, nil)
	if !p.SetStaleStakes(rule.Forbidden, rule.DelayBlocks) && !p.StaleStakesForbidden() {
		return nil, nil
	}
	var out []quorumDeadline
	for _, q := range qs {
		if len(scope) > 0 && !slices.Contains(scope, q.Number) {
			continue
		}
		p.SetQuorumUpdateBlock(q.Number, q.UpdateBlock)
		if d, ok := p.StaleStakesDeadline(q.Number); ok {
			out = append(out, quorumDeadline{Quorum: q.Number, Deadline: d, Due: head+p.DeadlineMargin() >= d})
		}
	}
	return out, nil
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
	qs, err := ch.reader.Quorums(ctx, head)
	if err != nil {
		return fmt.Errorf("read quorums: %w", err)
	}
	deadlines, err := planDeadlines(ctx, ch, cfg.Planner, qs, c.Sync.Quorums, head)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if len(c.Sync.Quorums) > 0 && !slices.Contains(c.Sync.Quorums, q.Number) {
			continue
		}
		due := slices.ContainsFunc(deadlines, func(d quorumDeadline) bool { return d.Quorum == q.Number && d.Due })
		if c.Full || due {
			b.Work = append(b.Work, planner.QuorumWork{Quorum: q.Number, Mode: planner.QuorumRefresh})
		}
		switch {
		case due:
			b.Reason = planner.ReasonDeadline
		case c.Full && b.Reason != planner.ReasonDeadline:
			b.Reason = planner.ReasonSweep
		}
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
		HeldBack: []heldOperator{}, Transactions: []planTransaction{}, Deadlines: append([]quorumDeadline{}, deadlines...)}
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
	for _, d := range po.Deadlines {
		due := fmt.Sprintf("due in %d blocks", d.Deadline-min(d.Deadline, po.Block))
		if d.Due {
			due = "within --deadline-margin: refreshed whole now"
		}
		fmt.Fprintf(out, "  quorum %d: stale stakes rejected from block %d (%s)\n", d.Quorum, d.Deadline, due)
	}
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
	reports, rule, err := syncer.Inspect(ctx, ch.reader, head, c.Quorums, c.MinStakeChange)
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
			Block       uint64                `json:"block"`
			StaleStakes staleStakesOutput     `json:"stale_stakes"`
			Quorums     []syncer.QuorumReport `json:"quorums"`
		}{head, staleStakesOf(rule), reports})
	}
	fmt.Fprintf(out, "block %d, %s\n", head, registryName(ch.contracts))
	fmt.Fprintln(out, staleStakesOf(rule).line())
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUORUM\tSTAKE TYPE\tOPERATORS\tCAP\tSTALE\tHELD BACK\tMISATTRIBUTED (LARGEST)\tLARGEST REL. ERROR\tLAST FULL UPDATE\tBLOCKS SINCE\tDEADLINE")
	for _, r := range reports {
		deadline := "-"
		if r.Deadline > 0 {
			deadline = fmt.Sprint(r.Deadline)
		}
		limit := "-"
		if r.MaxOperators > 0 {
			limit = fmt.Sprint(r.MaxOperators)
			if r.Full {
				limit += " (full)"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t%d\t%s (%s)\t%s\t%d\t%d\t%s\n", r.Quorum, r.StakeType, r.Operators, limit, len(r.Stale), len(r.HeldBack),
			percent(r.Misattributed), percent(r.LargestPart), percent(r.LargestRelative), r.UpdateBlock, r.BlocksSinceUpdate, deadline)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reports {
		for _, op := range r.ChurnLine {
			fmt.Fprintf(out, "quorum %d: %s at the churn line (lowest stored stake %s; kept exact)\n", r.Quorum, op, r.LowestStored)
		}
		for _, h := range r.HeldBack {
			fmt.Fprintf(out, "quorum %d: %s held back (%s: changed by less than --min-stake-change %g, left to the sweep)\n", r.Quorum, h.Operator, h.Reason, c.MinStakeChange)
		}
	}
	return nil
}

// percent prints a ratio as a percentage with four significant digits.
func percent(f float64) string { return fmt.Sprintf("%.4g%%", f*100) }

// staleStakesOutput is the stale-stakes rule as `status` shows it.
type staleStakesOutput struct {
	Forbidden   bool             `json:"forbidden"`
	ForbiddenBy []common.Address `json:"forbidden_by"`
	// Unreadable are checkers whose flag cannot be read, counted as forbidding.
	Unreadable            []common.Address `json:"unreadable"`
	WithdrawalDelayBlocks uint64           `json:"withdrawal_delay_blocks"`
}

func staleStakesOf(r registry.StaleStakes) staleStakesOutput {
	return staleStakesOutput{Forbidden: r.Forbidden && r.DelayKnown && r.DelayBlocks > 0, ForbiddenBy: nonNil(r.ForbiddenBy),
		Unreadable: nonNil(r.Unreadable), WithdrawalDelayBlocks: r.DelayBlocks}
}

// line says the rule in one line.
func (o staleStakesOutput) line() string {
	if !o.Forbidden {
		return "stale stakes accepted: no staleness deadline"
	}
	s := fmt.Sprintf("stale stakes forbidden (withdrawal delay %d blocks): each quorum is refreshed whole before its deadline", o.WithdrawalDelayBlocks)
	if len(o.ForbiddenBy) > 0 {
		s += fmt.Sprintf("; forbidden by %v", o.ForbiddenBy)
	}
	if len(o.Unreadable) > 0 {
		s += fmt.Sprintf("; flag unreadable at %v, counted as forbidding", o.Unreadable)
	}
	return s
}

func nonNil(a []common.Address) []common.Address {
	if a == nil {
		return []common.Address{}
	}
	return a
}
