package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/avs-sync/avs-sync/internal/metricsreg"
	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/submitter"
	"github.com/avs-sync/avs-sync/syncer"
)

// newRegistry is the process's Prometheus registry: ours, not the global one.
func newRegistry() (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	if err := metricsreg.All(reg, "process", collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	return reg, nil
}

// signerConfig maps the signer flags onto the submitter's key sources. As in the original tool
// (whose --use-fireblocks defaulted to true), a private key wins over Fireblocks, and Fireblocks
// credentials without a key select Fireblocks.
func signerConfig(f SignerFlags, stateDir string) submitter.SignerConfig {
	keyGiven := f.EcdsaPrivateKey != "" || f.EcdsaPrivateKeyFile != "" || f.KeystorePath != "" ||
		f.SecretManagerEcdsaPrivateKeyName != "" || f.KMSKeyID != ""
	region := f.KMSRegion
	if region == "" {
		region = f.SecretManagerRegion
	}
	return submitter.SignerConfig{
		PrivateKey:                  f.EcdsaPrivateKey,
		PrivateKeyFile:              f.EcdsaPrivateKeyFile,
		KeystorePath:                f.KeystorePath,
		KeystorePasswordFile:        f.KeystorePasswordFile,
		SecretManagerPrivateKeyName: f.SecretManagerEcdsaPrivateKeyName,
		SecretManagerRegion:         f.SecretManagerRegion,
		KMSKeyID:                    f.KMSKeyID,
		KMSRegion:                   region,
		ReceiptPollInterval:         500 * time.Millisecond,
		BumpAfter:                   f.ResubmissionTimeout,
		StateDir:                    stateDir,
		Fireblocks: submitter.FireblocksConfig{
			Enabled:          !keyGiven && (f.UseFireblocks || f.FireblocksAPIKey != "" || f.SecretManagerFireblocksAPIKeyName != ""),
			APIKey:           f.FireblocksAPIKey,
			APIKeySecretName: f.SecretManagerFireblocksAPIKeyName,
			APISecretPath:    f.FireblocksAPISecretPath,
			APISecretName:    f.SecretManagerFireblocksAPISecretName,
			BaseURL:          f.FireblocksAPIURL,
			VaultAccountName: f.FireblocksVaultAccountName,
		},
	}
}

// sender builds the transaction manager and checks the sender can pay.
func sender(ctx context.Context, log *slog.Logger, ch *chain, f SignerFlags, sync SyncFlags, reg prometheus.Registerer) (*submitter.Sender, common.Address, error) {
	cfg := signerConfig(f, sync.StateDir)
	fees, err := f.FeeLimits()
	if err != nil {
		return nil, common.Address{}, usage(err)
	}
	cfg.Fees = fees
	if cfg.LowBalance, err = f.LowBalanceWei(); err != nil {
		return nil, common.Address{}, usage(err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, common.Address{}, usage(err)
	}
	if f.EcdsaPrivateKey != "" && keyOnCommandLine(os.Args) {
		log.Warn("--ecdsa-private-key is visible to other users in the process list; prefer AVS_SYNC_ECDSA_PRIVATE_KEY or --ecdsa-private-key-file")
	}
	txm, addr, err := submitter.NewTxManager(ctx, cfg, ch.eth, new(big.Int).SetUint64(ch.contracts.ChainID), log, reg)
	if err != nil {
		if remoteSigner(cfg) {
			// KMS, Secrets Manager or Fireblocks may be down for a while: not bad input.
			return nil, common.Address{}, fmt.Errorf("%w: %w", errSignerService, err)
		}
		return nil, common.Address{}, usage(err)
	}
	bal, err := ch.eth.BalanceAt(ctx, addr, nil)
	if err != nil {
		return nil, common.Address{}, fmt.Errorf("read balance of sender %s: %w", addr, err)
	}
	if bal.Sign() == 0 {
		// Not bad input: the key is right, and funds may be on their way.
		return nil, common.Address{}, fmt.Errorf("sender %s holds no ETH on chain %d: %w", addr, ch.contracts.ChainID, errUnfunded)
	}
	if bal, err = txm.RefreshBalance(ctx); err != nil {
		return nil, common.Address{}, err
	}
	eth, _ := new(big.Float).Quo(new(big.Float).SetInt(bal), big.NewFloat(1e18)).Float64()
	log.Info("sender", "address", addr, "balance_eth", eth, "max_fee_per_gas_gwei", f.MaxFeePerGas,
		"max_priority_fee_per_gas_gwei", f.MaxPriorityFeePerGas, "min_priority_fee_per_gas_gwei", f.MinPriorityFeePerGas)
	return txm, addr, nil
}

// Start-up failures that are not bad input: watch tries again, /readyz saying which.
var (
	errSignerService = errors.New("signer: the key service fails")
	errUnfunded      = errors.New("fund it or use another key")
)

// remoteSigner reports whether the signer's key comes from a service (AWS KMS, Secrets Manager,
// Fireblocks) rather than from the flags or a local file.
func remoteSigner(cfg submitter.SignerConfig) bool {
	return cfg.Fireblocks.Enabled || cfg.KMSKeyID != "" || cfg.SecretManagerPrivateKeyName != ""
}

// watchingBalance runs main with the sender's balance read beside it every interval
// (--balance-interval): the balance falls only when the sender pays, and the sender reads it
// before each send and after each of its transactions is mined, so the timer is for top-ups and
// for the key spent elsewhere.
func watchingBalance(ctx context.Context, s *submitter.Sender, interval time.Duration, main func(context.Context) error) error {
	every := submitter.BalanceEvery{Interval: interval}
	bctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WatchBalance(bctx, every)
	}()
	err := main(ctx)
	stop()
	<-done
	return err
}

// operatorList parses --operators.
func operatorList(ops []string) ([]common.Address, error) {
	out := make([]common.Address, 0, len(ops))
	for _, op := range ops {
		a, err := parseAddress("operators", op, true)
		if err != nil {
			return nil, usage(err)
		}
		out = append(out, a)
	}
	return out, nil
}

// syncerConfig builds the loop's configuration. Whether the AVS forbids stale stakes, and the
// withdrawal delay that then bounds a quorum's staleness, the loop reads from the chain at every
// load and follows (Config.FollowStaleStakes).
func syncerConfig(ctx context.Context, log *slog.Logger, ch *chain, s SyncFlags, readTimeout time.Duration) (syncer.Config, error) {
	if err := s.Validate(); err != nil {
		return syncer.Config{}, usage(err)
	}
	ops, err := operatorList(s.Operators)
	if err != nil {
		return syncer.Config{}, err
	}
	first, err := planner.ParseTimeOfDay(s.FirstSyncTime)
	if err != nil {
		return syncer.Config{}, usage(fmt.Errorf("--first-sync-time: %w", err))
	}
	for _, q := range s.Quorums {
		if q >= ch.contracts.QuorumCount {
			return syncer.Config{}, usage(fmt.Errorf("--quorums: quorum %d does not exist (the AVS has %d quorums)", q, ch.contracts.QuorumCount))
		}
	}
	pc := planner.Config{
		Debounce:        s.Debounce,
		SyncInterval:    s.SyncInterval,
		FirstSyncTime:   first,
		Quorums:         s.Quorums,
		FullQuorumRatio: s.FullQuorumRatio,
		DeadlineMargin:  s.DeadlineMargin,
		MinStakeChange:  s.MinStakeChange,
	}
	if s.FullQuorumRatio == 0 {
		pc.CostModel = &planner.DefaultCostModel
		if ch.contracts.ECDSAStakeRegistry != (common.Address{}) {
			pc.CostModel = &planner.ECDSACostModel
		}
	}
	if !s.FetchQuorumsDynamically && len(s.Quorums) == 0 {
		return syncer.Config{}, usage(fmt.Errorf("--fetch-quorums-dynamically=false needs --quorums"))
	}
	if err := pc.Validate(); err != nil {
		return syncer.Config{}, usage(err)
	}
	// The quorums in scope at discovery, so their staleness is exported from the first scrape.
	var scope []uint8
	for q := range ch.contracts.QuorumCount {
		if len(s.Quorums) == 0 || slices.Contains(s.Quorums, q) {
			scope = append(scope, q)
		}
	}
	maxGas, cron, err := parseGasBudget(s.MaxGasPerDay)
	if err != nil {
		return syncer.Config{}, usage(err)
	}
	if s.GasWindow <= 0 {
		return syncer.Config{}, usage(fmt.Errorf("--gas-window %s is not a positive duration", s.GasWindow))
	}
	return syncer.Config{Planner: pc, Operators: ops, Retries: s.RetrySyncNTimes, ReadTimeout: readTimeout,
		MaxGasPerDay: maxGas, CronBudget: cron, BudgetWindow: s.GasWindow, StateDir: s.StateDir, Quorums: scope, FollowStaleStakes: true}, nil
}

// parseGasBudget reads --max-gas-per-day: "cron" (the cron's bill) or an amount of gas.
func parseGasBudget(v string) (gas uint64, cron bool, err error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "cron") {
		return 0, true, nil
	}
	gas, err = strconv.ParseUint(strings.ReplaceAll(v, "_", ""), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("--max-gas-per-day: %q is neither cron nor an amount of gas", v)
	}
	return gas, false, nil
}

// keyOnCommandLine reports whether the private key was given as a flag, where `ps` shows it,
// rather than through the environment or a file.
func keyOnCommandLine(args []string) bool {
	for _, a := range args {
		if strings.TrimLeft(strings.SplitN(a, "=", 2)[0], "-") == "ecdsa-private-key" {
			return true
		}
	}
	return false
}
