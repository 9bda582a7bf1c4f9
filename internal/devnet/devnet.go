// Package devnet runs a real local Ethereum chain with EigenLayer and a mock AVS deployed: go-ethereum's
// simulated backend, its genesis built from the anvil state that eigensdk-go ships, JSON-RPC over HTTP
// and websocket on 127.0.0.1, and a block every BlockTime.
package devnet

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	stakeregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StakeRegistry"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
	"github.com/gofrs/flock"
)

// ChainID is the chain id of the deployment the anvil state was made for.
const ChainID = 31337

// Anvil's well-known development keys; account 0 owns the AVS contracts and is an EigenLayer operator.
var anvilKeys = []string{
	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
	"59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
	"5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
}

// Options configure a devnet.
type Options struct {
	// Flavor picks the slashing-era (default) or pre-slashing deployment.
	Flavor Flavor
	// BlockTime is the interval between blocks; 0 means blocks are made only by Mine.
	BlockTime time.Duration
	// Accounts is how many extra funded accounts (deterministic keys) the genesis holds.
	Accounts int
	// GasLimit is the block gas limit; 0 keeps the anvil state's 30,000,000.
	GasLimit uint64
	// Logger receives progress lines; nil discards them.
	Logger *slog.Logger
	// Profile, when set, starts the chain with that AVS shape already populated (see Profile);
	// the populated state is built once and cached on disk. Accounts then counts extra keys
	// after the profile's own.
	Profile Profile
	// CacheDir holds profile state caches; "" uses the user cache directory (or
	// $AVS_SYNC_DEVNET_CACHE when set).
	CacheDir string
}

// Devnet is a running local chain.
type Devnet struct {
	// HTTPURL and WSURL are the JSON-RPC endpoints. WSURL goes through a proxy that CutWS can drop.
	HTTPURL string
	WSURL   string
	// Addresses of the deployed contracts.
	Addresses Addresses
	// Flavor of the deployment.
	Flavor Flavor
	// Shape is the populated AVS of Options.Profile; nil without a profile.
	Shape *Shape

	keys    []*ecdsa.PrivateKey
	backend *simulated.Backend
	// dir holds the node's database; Close removes it.
	dir string
	ws  *proxy
	log *slog.Logger
	// client, coordinator and stakes serve the devnet's own reads (Stakes, QuorumOperators), which
	// tests call at every block: one connection and one address lookup for the devnet's life.
	client      *ethclient.Client
	coordinator *regcoord.ContractRegistryCoordinator
	stakes      *stakeregistry.ContractStakeRegistry

	// paused stops the timer's blocks (Pause), as a node that stops producing them.
	paused atomic.Bool
	// mu serialises block production: the timer and Mine/WithBackend never commit concurrently.
	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start launches a devnet. Close stops it.
func Start(ctx context.Context, opts Options) (*Devnet, error) {
	if opts.Flavor == "" {
		opts.Flavor = Slashing
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Profile != "" {
		return startProfile(ctx, opts)
	}
	g, err := baseGenesis(opts.Flavor)
	if err != nil {
		return nil, err
	}
	return startFrom(ctx, opts, g, 0)
}

// genesis is the state a devnet starts from.
type genesis struct {
	alloc types.GenesisAlloc
	// block is the number of the block the state was taken at: the chain moves past it before
	// use, so that block numbers recorded in contract storage stay in the past.
	block uint64
	addrs Addresses
}

// baseGenesis reads the SDK's anvil state of a deployment.
func baseGenesis(flavor Flavor) (genesis, error) {
	sdk, err := SDKDir()
	if err != nil {
		return genesis{}, fmt.Errorf("find eigensdk-go: %w", err)
	}
	dir := flavorDir(sdk, flavor)
	alloc, dumpBlock, err := loadAlloc(filepath.Join(dir, "anvil", "contracts-deployed-anvil-state.json"))
	if err != nil {
		return genesis{}, err
	}
	addrs, err := loadAddresses(dir, flavor)
	if err != nil {
		return genesis{}, fmt.Errorf("read deployment addresses: %w", err)
	}
	return genesis{alloc: alloc, block: dumpBlock, addrs: addrs}, nil
}

// accountKey is the deterministic key of extra funded account i.
func accountKey(i int) *ecdsa.PrivateKey {
	k, _ := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("avs-sync devnet account %d", i))))
	return k
}

// startFrom starts a chain from g with extra accounts first .. opts.Accounts-1 funded (accounts
// below first are already in g's state).
func startFrom(ctx context.Context, opts Options, g genesis, first int) (*Devnet, error) {
	alloc := g.alloc
	keys := make([]*ecdsa.PrivateKey, 0, len(anvilKeys)+opts.Accounts)
	for _, h := range anvilKeys {
		k, _ := crypto.HexToECDSA(h)
		keys = append(keys, k)
	}
	funds := new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(params.Ether))
	for i := 0; i < opts.Accounts; i++ {
		k := accountKey(i)
		keys = append(keys, k)
		if i >= first {
			alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: funds}
		}
	}
	gasLimit := opts.GasLimit
	if gasLimit == 0 {
		gasLimit = 30_000_000
	}

	backend, dir, httpURL, wsTarget, err := newBackend(alloc, gasLimit, opts.Profile != "")
	if err != nil {
		return nil, err
	}
	ws, err := newProxy(wsTarget)
	if err != nil {
		closeBackend(backend, dir)
		return nil, fmt.Errorf("start websocket proxy: %w", err)
	}
	d := &Devnet{
		HTTPURL:   httpURL,
		WSURL:     "ws://" + ws.Addr(),
		Addresses: g.addrs,
		Flavor:    opts.Flavor,
		keys:      keys,
		backend:   backend,
		dir:       dir,
		ws:        ws,
		log:       opts.Logger,
	}
	// The state's contracts recorded history up to the dump's block number; move past it so block
	// numbers stay monotonic for checkpoints such as StakeRegistry's stake history.
	for i := uint64(0); i <= g.block; i++ {
		backend.Commit()
	}
	if err := d.dialReads(ctx); err != nil {
		ws.close()
		closeBackend(backend, dir)
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	if opts.BlockTime > 0 {
		d.wg.Add(1)
		go d.produce(runCtx, opts.BlockTime)
	}
	return d, nil
}

// dialReads connects the devnet's own reads and finds the StakeRegistry.
func (d *Devnet) dialReads(ctx context.Context) error {
	client, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		return fmt.Errorf("dial devnet: %w", err)
	}
	rc, err := regcoord.NewContractRegistryCoordinator(d.Addresses.RegistryCoordinator, client)
	if err != nil {
		client.Close()
		return err
	}
	srAddr, err := rc.StakeRegistry(&bind.CallOpts{Context: ctx})
	if err != nil {
		client.Close()
		return fmt.Errorf("read stake registry address: %w", err)
	}
	sr, err := stakeregistry.NewContractStakeRegistry(srAddr, client)
	if err != nil {
		client.Close()
		return err
	}
	d.client, d.coordinator, d.stakes = client, rc, sr
	return nil
}

// dataDirPrefix names the devnets' data directories in the system's temporary directory.
const dataDirPrefix = "avs-sync-devnet-"

// abandoned removes, once a process, the data directories that devnets of killed processes left.
var abandoned sync.Once

// newBackend starts the simulated node with HTTP and websocket servers on free loopback ports, its
// database in a new directory (dir) that closeBackend removes. With preimages the node keeps the
// addresses and storage keys behind its trie's hashes, so that its state can be dumped (profile
// caches).
func newBackend(alloc types.GenesisAlloc, gasLimit uint64, preimages bool) (*simulated.Backend, string, string, string, error) {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		httpPort, err := freePort()
		if err != nil {
			return nil, "", "", "", err
		}
		wsPort, err := freePort()
		if err != nil {
			return nil, "", "", "", err
		}
		abandoned.Do(func() { removeAbandoned(os.TempDir()) })
		dir, err := os.MkdirTemp("", dataDirPrefix)
		if err != nil {
			return nil, "", "", "", fmt.Errorf("devnet data directory: %w", err)
		}
		b, err := tryBackend(alloc, gasLimit, httpPort, wsPort, dir, preimages)
		if err == nil {
			return b, dir, fmt.Sprintf("http://127.0.0.1:%d", httpPort), fmt.Sprintf("127.0.0.1:%d", wsPort), nil
		}
		_ = os.RemoveAll(dir)
		lastErr = err
	}
	return nil, "", "", "", fmt.Errorf("start simulated chain: %w", lastErr)
}

// removeAbandoned removes the devnet data directories in root whose node lock is free: a process
// killed before Close left them. A directory whose node has not taken its lock yet has no lock
// file and stays.
func removeAbandoned(root string) {
	dirs, _ := filepath.Glob(filepath.Join(root, dataDirPrefix+"*"))
	for _, dir := range dirs {
		locks, _ := filepath.Glob(filepath.Join(dir, "*", "LOCK"))
		if len(locks) != 1 {
			continue
		}
		l := flock.New(locks[0])
		if ok, err := l.TryLock(); err != nil || !ok {
			continue
		}
		_ = os.RemoveAll(dir)
		_ = l.Unlock()
	}
}

// closeBackend stops the node and removes its data directory.
func closeBackend(b *simulated.Backend, dir string) error {
	err := b.Close()
	if rmErr := os.RemoveAll(dir); err == nil && rmErr != nil {
		err = fmt.Errorf("remove devnet data directory: %w", rmErr)
	}
	return err
}

func tryBackend(alloc types.GenesisAlloc, gasLimit uint64, httpPort, wsPort int, dir string, preimages bool) (b *simulated.Backend, err error) {
	// NewBackend panics when the node cannot start (a port taken between freePort and bind).
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("node start: %v", r)
		}
	}()
	b = simulated.NewBackend(alloc, func(nc *node.Config, ec *ethconfig.Config) {
		// The database is on disk, not in memory: the node moves finalized blocks to its freezer
		// once a minute and lists each moved block's hashes by a prefix scan, which an in-memory
		// database answers by visiting every key it holds. On a profile's state sealing then went
		// from 2 ms to 19-35 ms a block, and a 50 ms chain fell behind its clock. On disk the scan
		// is a seek.
		nc.DataDir = dir
		// A devnet's database is small: the default cache of 2 GB also sizes its write buffers
		// (four of 256 MB) and write-ahead log files (about 300 MB each).
		ec.DatabaseCache = 64
		nc.HTTPHost, nc.HTTPPort = "127.0.0.1", httpPort
		nc.HTTPModules = []string{"eth", "net", "web3"}
		if preimages {
			// Only the profile build dumps state (debug_accountRange); loopback only.
			nc.HTTPModules = append(nc.HTTPModules, "debug")
		}
		nc.HTTPVirtualHosts = []string{"*"}
		nc.WSHost, nc.WSPort = "127.0.0.1", wsPort
		nc.WSModules = []string{"eth", "net", "web3"}
		nc.WSOrigins = []string{"*"}
		cfg := *params.AllDevChainProtocolChanges
		cfg.ChainID = big.NewInt(ChainID)
		ec.Genesis.Config = &cfg
		ec.Genesis.GasLimit = gasLimit
		ec.Miner.GasCeil = gasLimit
		// Senders tip above the suggested tip, and the suggestion follows recent tips: on a chain
		// with no other traffic that loop would raise fees without end. Cap the suggestion.
		ec.GPO.MaxPrice = big.NewInt(params.GWei)
		ec.NetworkId = ChainID
		ec.RPCGasCap = 0
		ec.Preimages = preimages
	})
	return b, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (d *Devnet) produce(ctx context.Context, every time.Duration) {
	defer d.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.mineUnlessPaused()
		}
	}
}

// mineUnlessPaused seals the timer's block unless production is paused. The pause is read under
// the lock, so that a tick waiting for the lock while a caller mines or forks makes no block once
// the caller has paused production.
func (d *Devnet) mineUnlessPaused() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.backend == nil || d.paused.Load() {
		return
	}
	d.backend.Commit()
}

// Mine seals one block now.
func (d *Devnet) Mine() common.Hash {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.backend == nil {
		return common.Hash{}
	}
	return d.backend.Commit()
}

// WithBackend runs f with block production held, for reorgs (Fork, Commit) and time changes.
func (d *Devnet) WithBackend(f func(b *simulated.Backend) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.backend == nil {
		return errors.New("devnet closed")
	}
	return f(d.backend)
}

// Key returns funded account i: 0..2 are anvil's dev accounts (0 owns the AVS and is an
// operator), 3.. are the extra accounts of Options.Accounts.
func (d *Devnet) Key(i int) *ecdsa.PrivateKey { return d.keys[i] }

// Keys returns how many funded keys the devnet holds.
func (d *Devnet) Keys() int { return len(d.keys) }

// Pause stops (true) or resumes (false) the blocks made every BlockTime, as a node that stops
// producing or importing blocks; Mine still makes one.
func (d *Devnet) Pause(stop bool) { d.paused.Store(stop) }

// CutWS drops every websocket connection; with down it also refuses new ones until CutWS(false).
func (d *Devnet) CutWS(down bool) { d.ws.cut(down) }

// Close stops block production and the node.
func (d *Devnet) Close() error {
	d.cancel()
	d.wg.Wait()
	d.client.Close()
	d.ws.close()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.backend == nil {
		return nil
	}
	err := closeBackend(d.backend, d.dir)
	d.backend = nil
	return err
}

// MineBlocks seals n empty blocks at once, for waiting out delays counted in blocks.
func (d *Devnet) MineBlocks(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := 0; i < n && d.backend != nil; i++ {
		d.backend.Commit()
	}
}
