package main

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/monitor"
	"github.com/avs-sync/avs-sync/submitter"
	"github.com/avs-sync/avs-sync/syncer"
)

// NodeFlags say how to reach the Ethereum node.
type NodeFlags struct {
	EthHTTPURL            string        `name:"eth-http-url" group:"node" type:"trimmed" placeholder:"URL" help:"Ethereum JSON-RPC HTTP URL (reads, backfill, transactions)."`
	EthWSURL              string        `name:"eth-ws-url" group:"node" type:"trimmed" placeholder:"URL" help:"Ethereum JSON-RPC websocket URL for eth_subscribe; without it avs-sync polls over HTTP."`
	ChainID               uint64        `name:"chain-id" group:"node" help:"Expected chain id; avs-sync refuses to start on another chain (0 = accept the node's)."`
	ReaderTimeoutDuration time.Duration `name:"reader-timeout-duration" group:"node" default:"5s" help:"Timeout of one chain read."`
	PollInterval          time.Duration `name:"poll-interval" group:"node" default:"2s" help:"Interval between head polls over HTTP. With a websocket the head is read every two block times instead, and polls happen only while the subscription is down or the block time is not measured yet."`
	BlockTime             time.Duration `name:"block-time" group:"node" default:"0s" help:"The chain's block time (0 = measure it from the websocket's heads)."`
	MaxLogRange           uint64        `name:"max-log-range" group:"node" default:"2000" help:"Most blocks one eth_getLogs covers; halved while the provider refuses larger ranges, grown back after successes."`
	RPCBatchSize          int           `name:"rpc-batch-size" group:"node" default:"500" help:"Most calls in one JSON-RPC batch request (providers cap batches; geth at 1000)."`
	RPCRateLimit          int           `name:"rpc-rate-limit" group:"node" default:"20" help:"Most JSON-RPC calls per second over HTTP, each call of a batch counted (0 = no limit); batches are cut to it, and a 429 halves it for a while. The default stays under the common providers' free tiers; a read's wait for the limit does not count against --reader-timeout-duration."`
}

// maxLogRange bounds --max-log-range: beyond it one answer may hold more logs than any provider
// returns.
const maxLogRange = 1_000_000

// maxBatchSize bounds --rpc-batch-size.
const maxBatchSize = 10_000

// ContractFlags locate the AVS's registry contracts.
type ContractFlags struct {
	RegistryCoordinatorAddr    string `name:"registry-coordinator-addr" group:"contracts" placeholder:"ADDRESS" help:"AVS RegistryCoordinator address."`
	OperatorStateRetrieverAddr string `name:"operator-state-retriever-addr" group:"contracts" placeholder:"ADDRESS" help:"AVS OperatorStateRetriever address."`
	ServiceManagerAddr         string `name:"service-manager-addr" group:"contracts" placeholder:"ADDRESS" help:"AVS ServiceManager address (default: read from the RegistryCoordinator)."`
	DontUseAllocationManager   bool   `name:"dont-use-allocation-manager" group:"contracts" help:"Pre-slashing deployment: do not read or watch the AllocationManager."`
	// SignatureCheckerAddr are the BLSSignatureCheckers whose stale-stakes rule avs-sync follows.
	SignatureCheckerAddr []string `name:"signature-checker-addr" group:"contracts" sep:"," placeholder:"ADDRESS" help:"BLSSignatureChecker whose staleStakesForbidden() sets the staleness deadlines, where the AVS checks certificates elsewhere than in its service manager (a task manager); repeatable (default: the service manager). A checker whose flag cannot be read counts as forbidding stale stakes."`
	// ECDSAStakeRegistryAddr selects an AVS on the middleware's ECDSAStakeRegistry instead of the
	// RegistryCoordinator family.
	ECDSAStakeRegistryAddr string `name:"ecdsa-stake-registry-addr" group:"contracts" placeholder:"ADDRESS" help:"ECDSAStakeRegistry of an ECDSA AVS (hello-world template and the like), in place of --registry-coordinator-addr and --operator-state-retriever-addr; needs --delegation-manager-addr."`
	DelegationManagerAddr  string `name:"delegation-manager-addr" group:"contracts" placeholder:"ADDRESS" help:"EigenLayer DelegationManager an ECDSAStakeRegistry weighs shares of (the registry does not expose it). Only with --ecdsa-stake-registry-addr."`
	ECDSAFromBlock         uint64 `name:"ecdsa-from-block" group:"contracts" placeholder:"BLOCK" help:"With --ecdsa-stake-registry-addr: the block the registry was deployed at or before; its operator set is rebuilt from registration events from there (0 = genesis)."`
}

// SignerFlags choose where the sender's key lives. Exactly one source is used.
type SignerFlags struct {
	EcdsaPrivateKey                      string `name:"ecdsa-private-key" group:"signer" placeholder:"HEX" help:"Sender's private key in hex. Visible in ps: prefer --ecdsa-private-key-file or the env var."`
	EcdsaPrivateKeyFile                  string `name:"ecdsa-private-key-file" group:"signer" type:"path" placeholder:"FILE" help:"File holding the sender's private key in hex."`
	KeystorePath                         string `name:"keystore-path" group:"signer" type:"path" placeholder:"FILE" help:"Encrypted JSON keystore of the sender."`
	KeystorePasswordFile                 string `name:"keystore-password-file" group:"signer" type:"path" placeholder:"FILE" help:"File holding the keystore password."`
	SecretManagerRegion                  string `name:"secret-manager-region" group:"signer" help:"AWS region of Secrets Manager."`
	SecretManagerEcdsaPrivateKeyName     string `name:"secret-manager-ecdsa-private-key-name" group:"signer" help:"Secrets Manager secret holding the private key."`
	KMSKeyID                             string `name:"kms-key-id" group:"signer" help:"AWS KMS key id (secp256k1) that signs transactions."`
	KMSRegion                            string `name:"kms-region" group:"signer" help:"AWS region of the KMS key (default: --secret-manager-region)."`
	UseFireblocks                        bool   `name:"use-fireblocks" group:"signer" help:"Sign with Fireblocks."`
	FireblocksAPIKey                     string `name:"fireblocks-api-key" group:"signer" help:"Fireblocks API key."`
	SecretManagerFireblocksAPIKeyName    string `name:"secret-manager-fireblocks-api-key-name" group:"signer" help:"Secrets Manager secret holding the Fireblocks API key."`
	FireblocksAPISecretPath              string `name:"fireblocks-api-secret-path" group:"signer" type:"path" help:"File holding the Fireblocks API secret."`
	SecretManagerFireblocksAPISecretName string `name:"secret-manager-fireblocks-api-secret-name" group:"signer" help:"Secrets Manager secret holding the Fireblocks API secret."`
	FireblocksAPIURL                     string `name:"fireblocks-api-url" group:"signer" type:"trimmed" default:"https://api.fireblocks.io" help:"Fireblocks API URL."`
	FireblocksVaultAccountName           string `name:"fireblocks-vault-account-name" group:"signer" help:"Fireblocks vault account that sends."`
	LowBalance                           string `name:"low-balance" group:"signer" default:"0.1" placeholder:"ETH" help:"Warn (log and metric) when the sender holds less than this many ETH."`

	BalanceInterval time.Duration `name:"balance-interval" group:"signer" default:"5m" help:"Read the sender's balance this often between transactions, to see a top-up or the key spent elsewhere; it is read anyway before each send and after each transaction of the sender is mined."`

	MaxFeePerGas         string        `name:"max-fee-per-gas" group:"fees" default:"100" placeholder:"GWEI" help:"Most any transaction pays per gas (its EIP-1559 fee cap), first send or replacement. With the base fee above it nothing is sent and updates wait."`
	MaxPriorityFeePerGas string        `name:"max-priority-fee-per-gas" group:"fees" default:"3" placeholder:"GWEI" help:"Most any transaction tips per gas, whatever the node suggests."`
	MinPriorityFeePerGas string        `name:"min-priority-fee-per-gas" group:"fees" default:"0.1" placeholder:"GWEI" help:"Least tip per gas, whatever the node suggests."`
	ResubmissionTimeout  time.Duration `name:"resubmission-timeout" group:"fees" default:"48s" help:"Replace a transaction still unmined after this long, at fees 12.5% higher (within the caps)."`
}

// FeeLimits parses the fee flags into wei.
func (s SignerFlags) FeeLimits() (submitter.FeeLimits, error) {
	var l submitter.FeeLimits
	for _, f := range []struct {
		flag, v string
		dst     **big.Int
	}{
		{"max-fee-per-gas", s.MaxFeePerGas, &l.MaxFeePerGas},
		{"max-priority-fee-per-gas", s.MaxPriorityFeePerGas, &l.MaxPriorityFeePerGas},
		{"min-priority-fee-per-gas", s.MinPriorityFeePerGas, &l.MinPriorityFeePerGas},
	} {
		wei, err := submitter.ParseGwei(f.v)
		if err != nil {
			return l, fmt.Errorf("--%s: %w", f.flag, err)
		}
		*f.dst = wei
	}
	if l.MaxFeePerGas.Sign() == 0 {
		return l, errors.New("--max-fee-per-gas must be above 0")
	}
	if l.MaxPriorityFeePerGas.Sign() == 0 {
		return l, errors.New("--max-priority-fee-per-gas must be above 0")
	}
	if s.ResubmissionTimeout <= 0 {
		return l, errors.New("--resubmission-timeout must be above 0")
	}
	return l, l.Validate()
}

// SyncFlags shape when and what avs-sync updates.
type SyncFlags struct {
	SyncInterval            time.Duration `name:"sync-interval" group:"sync" default:"24h" help:"Interval between full sweeps of every quorum (updateOperatorsForQuorum). 0 = sync once and exit."`
	FirstSyncTime           string        `name:"first-sync-time" group:"sync" placeholder:"HH:MM:SS" help:"UTC time of day of the first full sweep; later ones follow every --sync-interval."`
	Operators               []string      `name:"operators" group:"sync" sep:"," placeholder:"ADDRESS,..." help:"Only these operators (updateOperators) instead of whole quorums."`
	Quorums                 []uint8       `name:"quorums" group:"sync" sep:"," placeholder:"N,..." help:"Only these quorums (required when --fetch-quorums-dynamically=false)."`
	FetchQuorumsDynamically bool          `name:"fetch-quorums-dynamically" group:"sync" default:"true" negatable:"" help:"Read the quorum list from the RegistryCoordinator."`
	WriterTimeoutDuration   time.Duration `name:"writer-timeout-duration" group:"sync" default:"90s" help:"Timeout for one transaction to be mined."`
	RetrySyncNTimes         int           `name:"retry-sync-n-times" group:"sync" default:"3" help:"Failures of the same update by its own doing (it reverts or is too large) after which it is set aside until the next sweep; one-shot runs retry this many times."`
	MinStakeChange          float64       `name:"min-stake-change" group:"sync" default:"0.001" placeholder:"FRACTION" help:"Event-driven updates skip an operator whose stake moved by less than this fraction of its stored stake (0.001 = 0.1%), unless it crosses the quorum minimum; the sweep stores it (not under watch --sweep-mode material). 0 = every difference."`
	MaxGasPerDay            string        `name:"max-gas-per-day" group:"sync" default:"cron" placeholder:"GAS|cron" help:"Gas the stake updates mined in the last 24 hours may use; above it only certificate-critical work is sent (staleness-deadline refreshes, the churn line, crossings of a quorum minimum), and within it the changes that correct the most stake per gas go first. cron (default): what the cron being replaced would pay, one whole refresh of every quorum per --sync-interval with the operators that moved in it stale, re-priced as the AVS moves, over a window of the interval when it is longer than a day; the one-shot modes, which are the cron, are then not limited. 0 = unlimited."`
	GasWindow               time.Duration `name:"gas-window" group:"sync" default:"24h" hidden:"" help:"Span of the gas budget's rolling window (tests and benchmarks at scaled time shorten it)."`
	Debounce                time.Duration `name:"debounce" group:"sync" default:"24s" help:"Collect events this long after the first one before updating (bounds latency, batches bursts)."`
	Confirmations           uint64        `name:"confirmations" group:"sync" default:"0" help:"Blocks an event must be buried under before it counts."`
	StateDir                string        `name:"state-dir" group:"sync" type:"path" placeholder:"DIR" help:"Directory for the checkpoint of the last processed block, the rolling gas-budget window and the fees of broadcast transactions (empty = kept in memory only)."`
	GasBudget               uint64        `name:"gas-budget" group:"sync" default:"10000000" help:"Maximum gas of one transaction; larger updates are split."`
	FullQuorumRatio         float64       `name:"full-quorum-ratio" group:"sync" default:"0" help:"0 (default): refresh a quorum whole only where the gas cost model predicts it is cheaper than updateOperators of its stale operators. A share in (0,1] overrides the model with a fixed ratio: refresh a whole quorum when more than this share of its operators is stale (1 = never)."`
	DeadlineMargin          uint64        `name:"deadline-margin" group:"sync" default:"300" help:"Blocks before a stale-stakes-forbidden quorum's deadline at which to sweep it."`
	SleepBeforeFirstSync    time.Duration `name:"sleep-before-first-sync-duration" group:"sync" hidden:"" help:"Wait this long before the first sync."`
}

// MetricsFlags configure the Prometheus and health endpoints.
type MetricsFlags struct {
	MetricsAddr  string        `name:"metrics-addr" group:"metrics" default:":9090" env:"AVS_SYNC_METRICS_ADDR,AVS_SYNC_PROMETHEUS_SERVER_ADDR" help:"Listen address of /metrics, /healthz and /readyz (empty = off)."`
	ReadyBlocks  uint64        `name:"ready-blocks" group:"metrics" default:"5" help:"/readyz fails when the last processed block is more than this behind head."`
	MaxHeadAge   time.Duration `name:"max-head-age" group:"metrics" default:"0s" help:"/readyz fails when the chain head has not advanced for this long (0 = 5 block times, at least 30s; 1m while the block time is unknown)."`
	MaxFailing   time.Duration `name:"max-failing-duration" group:"metrics" default:"15m" help:"/readyz fails when stake updates have failed, without a success, for this long (0 = off)."`
	MaxLoopStall time.Duration `name:"max-loop-stall" group:"metrics" default:"2m" help:"/healthz fails when the update loop has not run for this long, i.e. is wedged (0 = off)."`
	// IdleTimeout is hidden: tests shorten it to see idle connections closed.
	IdleTimeout time.Duration `name:"metrics-idle-timeout" group:"metrics" default:"60s" hidden:"" help:"Close a metrics connection idle for this long."`
}

// Validate checks the health bounds.
func (m MetricsFlags) Validate() error {
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"max-head-age", m.MaxHeadAge}, {"max-failing-duration", m.MaxFailing}, {"max-loop-stall", m.MaxLoopStall}, {"metrics-idle-timeout", m.IdleTimeout}} {
		if d.v < 0 {
			return fmt.Errorf("--%s must not be negative", d.flag)
		}
		if d.v > 0 && d.v < time.Second {
			return fmt.Errorf("--%s %s is below 1s", d.flag, d.v)
		}
	}
	return nil
}

// allowsReads checks that --max-loop-stall leaves the loop time for its heartbeat and then its
// longest wait on a slow node (syncer.LoopReadBound): with less, a slow node would fail /healthz
// and restart a working process.
func (m MetricsFlags) allowsReads(readTimeout time.Duration) error {
	need := m.Heartbeat() + syncer.LoopReadBound(readTimeout)
	if m.MaxLoopStall > 0 && m.MaxLoopStall <= need {
		return fmt.Errorf("--max-loop-stall %s must be above %s: the loop may wait its %s heartbeat, then 8 × --reader-timeout-duration on a slow node",
			m.MaxLoopStall, need, m.Heartbeat())
	}
	return nil
}

// ServerLimits are the metrics server's limits.
func (m MetricsFlags) ServerLimits() monitor.Limits {
	lim := monitor.DefaultLimits
	if m.IdleTimeout > 0 {
		lim.IdleTimeout = m.IdleTimeout
	}
	return lim
}

// Limits are the health bounds of a daemon that waits for confirmations and, with ws, follows
// a websocket subscription.
func (m MetricsFlags) Limits(confirmations uint64, ws bool) syncer.HealthLimits {
	return syncer.HealthLimits{WebSocket: ws, BlocksBehind: confirmations + m.ReadyBlocks,
		MaxHeadAge: m.MaxHeadAge, MaxFailing: m.MaxFailing, MaxLoopStall: m.MaxLoopStall}
}

// Heartbeat is how often the idle loop runs: often enough for --max-loop-stall to tell a wedged
// loop from an idle one.
func (m MetricsFlags) Heartbeat() time.Duration {
	if m.MaxLoopStall <= 0 {
		return syncer.DefaultHeartbeat
	}
	return min(syncer.DefaultHeartbeat, m.MaxLoopStall/4)
}

// parseAddress turns a flag value into an address, rejecting malformed and zero addresses.
func parseAddress(flag, v string, required bool) (common.Address, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			return common.Address{}, fmt.Errorf("--%s is required", flag)
		}
		return common.Address{}, nil
	}
	if !common.IsHexAddress(v) {
		return common.Address{}, fmt.Errorf("--%s: %q is not an address (want 0x and 40 hex digits)", flag, v)
	}
	a := common.HexToAddress(v)
	if a == (common.Address{}) {
		return common.Address{}, fmt.Errorf("--%s: the zero address is not a contract", flag)
	}
	return a, nil
}

// Validate checks the node flags.
func (n NodeFlags) Validate() error {
	if n.EthHTTPURL == "" {
		return errors.New("--eth-http-url is required")
	}
	if err := checkURL("eth-http-url", n.EthHTTPURL, "http", "https"); err != nil {
		return err
	}
	if n.EthWSURL != "" {
		if err := checkURL("eth-ws-url", n.EthWSURL, "ws", "wss"); err != nil {
			return err
		}
	}
	if n.MaxLogRange < 1 || n.MaxLogRange > maxLogRange {
		return fmt.Errorf("--max-log-range must be between 1 and %d blocks", maxLogRange)
	}
	if n.RPCBatchSize < 1 || n.RPCBatchSize > maxBatchSize {
		return fmt.Errorf("--rpc-batch-size must be between 1 and %d calls", maxBatchSize)
	}
	if n.RPCRateLimit < 0 {
		return errors.New("--rpc-rate-limit must not be negative (0 = no limit)")
	}
	if n.BlockTime < 0 {
		return errors.New("--block-time must not be negative")
	}
	if n.ReaderTimeoutDuration <= 0 {
		return errors.New("--reader-timeout-duration must be above 0")
	}
	if n.PollInterval < minPollInterval {
		return fmt.Errorf("--poll-interval %s is below %s", n.PollInterval, minPollInterval)
	}
	return nil
}

// minPollInterval bounds --poll-interval: below it polling is a load on the node, not a watch.
const minPollInterval = 100 * time.Millisecond

func checkURL(flag, v string, schemes ...string) error {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return fmt.Errorf("--%s: %q is not a URL", flag, v)
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fmt.Errorf("--%s: scheme %q, want %s", flag, u.Scheme, strings.Join(schemes, " or "))
}

// Validate checks the sync flags.
func (s SyncFlags) Validate() error {
	if s.SyncInterval < 0 {
		return errors.New("--sync-interval must not be negative")
	}
	if s.WriterTimeoutDuration <= 0 {
		return errors.New("--writer-timeout-duration must be above 0")
	}
	if s.Debounce < 0 {
		return errors.New("--debounce must not be negative")
	}
	if s.SleepBeforeFirstSync < 0 {
		return errors.New("--sleep-before-first-sync-duration must not be negative")
	}
	if s.FirstSyncTime != "" {
		if _, err := time.Parse(time.TimeOnly, s.FirstSyncTime); err != nil {
			return fmt.Errorf("--first-sync-time: %q is not HH:MM:SS", s.FirstSyncTime)
		}
	}
	if !s.FetchQuorumsDynamically && len(s.Quorums) == 0 && len(s.Operators) == 0 {
		return errors.New("--fetch-quorums-dynamically=false needs --quorums or --operators")
	}
	for _, op := range s.Operators {
		if _, err := parseAddress("operators", op, true); err != nil {
			return err
		}
	}
	if s.RetrySyncNTimes < 0 {
		return errors.New("--retry-sync-n-times must not be negative")
	}
	if s.MinStakeChange < 0 || s.MinStakeChange >= 1 || math.IsNaN(s.MinStakeChange) {
		return errors.New("--min-stake-change must be a fraction from 0 to below 1 (0.001 = 0.1%)")
	}
	if s.FullQuorumRatio < 0 || s.FullQuorumRatio > 1 {
		return errors.New("--full-quorum-ratio must be between 0 and 1")
	}
	if s.GasBudget < 100_000 {
		return errors.New("--gas-budget below 100000 cannot fit one update")
	}
	return nil
}

// LowBalanceWei returns --low-balance in wei.
func (s SignerFlags) LowBalanceWei() (*big.Int, error) {
	f, ok := new(big.Float).SetString(s.LowBalance)
	if !ok || f.Sign() < 0 {
		return nil, fmt.Errorf("--low-balance: %q is not an ETH amount", s.LowBalance)
	}
	wei, _ := new(big.Float).Mul(f, big.NewFloat(1e18)).Int(nil)
	return wei, nil
}
