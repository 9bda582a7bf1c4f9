package devnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"time"

	"github.com/avs-sync/avs-sync/bindings/ecdsastakeregistry"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// ProfileECDSA is an AVS on the middleware's ECDSAStakeRegistry (the devnet's own stand-in, see
// contracts/ecdsa): one quorum over four strategies with basis-point multipliers, a minimum
// weight of 0.4 ETH that the smallest operators fall under, 48 registered operators and 12
// EigenLayer operators outside the AVS, with stake skewed as in the EigenDA profile.
const ProfileECDSA Profile = "ecdsa"

// ECDSA profile parameters.
var (
	ecdsaMultipliersBPS = []uint64{4000, 3000, 2000, 1000}
	// ECDSAMinimumWeight is the profile registry's minimum weight.
	ECDSAMinimumWeight = ethToWei(0.4)
	ecdsaThreshold     = ethToWei(1000)
)

func ecdsaPlan() shapePlan {
	return shapePlan{
		ecdsa:      true,
		groups:     []Group{{Count: 48, Quorums: []uint8{0}}},
		outsiders:  12,
		multiplier: make([]float64, len(ecdsaMultipliersBPS)),
		stake: func(i int) float64 {
			rank := float64(scramble(i, 60) + 1)
			return math.Max(800*math.Pow(rank, -1.5), 0.4)
		},
	}
}

// startECDSA starts a devnet with the ECDSA profile populated live, block by block, rather than
// from a cached state: the registry has no getter for its operator set, which readers rebuild
// from its registration events, and a genesis built from a dump would hold none.
func startECDSA(ctx context.Context, opts Options) (*Devnet, error) {
	if opts.BlockTime <= 0 {
		return nil, fmt.Errorf("profile %s needs a block time: it registers its operators at start", opts.Profile)
	}
	if opts.Flavor != Slashing {
		return nil, fmt.Errorf("profile %s needs the slashing deployment", opts.Profile)
	}
	began := time.Now()
	plan := ecdsaPlan()
	g, err := baseGenesis(opts.Flavor)
	if err != nil {
		return nil, err
	}
	accounts := plan.accounts()
	shape := &Shape{Profile: opts.Profile, Accounts: accounts}
	addStrategies(g, plan, shape, accounts)
	opts.Accounts += accounts
	d, err := startFrom(ctx, opts, g, 0)
	if err != nil {
		return nil, err
	}
	if err := d.shapeECDSA(ctx, shape); err != nil {
		d.Close()
		return nil, fmt.Errorf("start profile %s: %w", opts.Profile, err)
	}
	if err := d.populateShape(ctx, plan, shape); err != nil {
		d.Close()
		return nil, fmt.Errorf("start profile %s: %w", opts.Profile, err)
	}
	opts.Logger.Info("devnet profile ready", "profile", opts.Profile, "took", time.Since(began).Round(time.Millisecond),
		"operators", len(shape.Registered), "ecdsa_stake_registry", shape.ECDSAStakeRegistry)
	return d, nil
}

// shapeECDSA deploys and initialises the profile's ECDSAStakeRegistry as the owner (key 0), its
// quorum the shape's strategies in ascending address order.
func (d *Devnet) shapeECDSA(ctx context.Context, shape *Shape) error {
	owner, err := d.Actor(ctx, 0)
	if err != nil {
		return err
	}
	defer owner.Close()
	if err := d.whitelistStrategies(ctx, owner, shape); err != nil {
		return err
	}
	var deployed common.Address
	if err := owner.send(ctx, "deploy ECDSAStakeRegistry", func(o *bind.TransactOpts) (*types.Transaction, error) {
		addr, tx, _, err := ecdsastakeregistry.DeployECDSAStakeRegistry(o, owner.client, d.Addresses.DelegationManager)
		deployed = addr
		return tx, err
	}); err != nil {
		return err
	}
	reg, err := ecdsastakeregistry.NewECDSAStakeRegistry(deployed, owner.client)
	if err != nil {
		return err
	}
	strategies := make([]common.Address, len(shape.Strategies))
	for i, s := range shape.Strategies {
		strategies[i] = s.Address
	}
	slices.SortFunc(strategies, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	q := ShapeQuorum{Number: 0, Strategies: strategies}
	var params []ecdsastakeregistry.ECDSAStakeRegistryStrategyParams
	for i, s := range strategies {
		m := new(big.Int).SetUint64(ecdsaMultipliersBPS[i])
		q.Multipliers = append(q.Multipliers, m)
		params = append(params, ecdsastakeregistry.ECDSAStakeRegistryStrategyParams{Strategy: s, Multiplier: m})
	}
	serviceManager := deterministicAddress("ecdsa service manager", 0)
	if err := owner.send(ctx, "initialize ECDSAStakeRegistry", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return reg.Initialize(o, serviceManager, ecdsaThreshold, ecdsastakeregistry.ECDSAStakeRegistryQuorum{Strategies: params})
	}); err != nil {
		return err
	}
	if err := owner.send(ctx, "updateMinimumWeight", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return reg.UpdateMinimumWeight(o, ECDSAMinimumWeight, nil)
	}); err != nil {
		return err
	}
	shape.ECDSAStakeRegistry = deployed
	shape.MinimumWeight = ECDSAMinimumWeight
	shape.Quorums = append(shape.Quorums, q)
	// The operators' set-up registers through the shape being built.
	d.Shape = shape
	return nil
}

// ecdsaRegistry binds the profile's ECDSAStakeRegistry for the actor.
func (a *Actor) ecdsaRegistry() (*ecdsastakeregistry.ECDSAStakeRegistry, error) {
	if a.d.Shape == nil || a.d.Shape.ECDSAStakeRegistry == (common.Address{}) {
		return nil, errors.New("the devnet has no ECDSA stake registry (--profile ecdsa)")
	}
	return ecdsastakeregistry.NewECDSAStakeRegistry(a.d.Shape.ECDSAStakeRegistry, a.client)
}

// RegisterWithECDSA registers the actor, an EigenLayer operator, with the ECDSA stake registry,
// signing with its own key.
func (a *Actor) RegisterWithECDSA(ctx context.Context) (*types.Receipt, error) {
	reg, err := a.ecdsaRegistry()
	if err != nil {
		return nil, err
	}
	return a.sendFixedGas(ctx, "registerOperatorWithSignature", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return reg.RegisterOperatorWithSignature(o, ecdsastakeregistry.ECDSAStakeRegistrySignatureWithSaltAndExpiry{
			Signature: []byte{}, Salt: crypto.Keccak256Hash(a.Address[:]), Expiry: big.NewInt(math.MaxInt64),
		}, a.Address)
	})
}

// sendFixedGas sends one call with a fixed gas limit instead of an estimate: the devnet prices
// new storage as Amsterdam does (EIP-8037), and an estimate made in the block of another
// registration sees the total weight checkpoint overwritten where the mined call writes a new one.
func (a *Actor) sendFixedGas(ctx context.Context, what string, build func(*bind.TransactOpts) (*types.Transaction, error)) (*types.Receipt, error) {
	o, err := bind.NewKeyedTransactorWithChainID(a.Key, big.NewInt(ChainID))
	if err != nil {
		return nil, err
	}
	o.Context, o.GasLimit = ctx, 3_000_000 // build may raise it
	tx, err := build(o)
	if err != nil {
		return nil, fmt.Errorf("%s from %s: %w", what, a.Address, err)
	}
	r, err := bind.WaitMined(ctx, a.client, tx)
	if err != nil {
		return nil, fmt.Errorf("%s from %s: %w", what, a.Address, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("%s from %s reverted in tx %s (gas used %d)", what, a.Address, r.TxHash, r.GasUsed)
	}
	return r, nil
}

// DeregisterFromECDSA deregisters the actor from the ECDSA stake registry.
func (a *Actor) DeregisterFromECDSA(ctx context.Context) (*types.Receipt, error) {
	reg, err := a.ecdsaRegistry()
	if err != nil {
		return nil, err
	}
	return a.sendFixedGas(ctx, "deregisterOperator", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return reg.DeregisterOperator(o)
	})
}

// SetECDSAQuorum replaces the ECDSA registry's quorum (the owner, key 0, only), updating none of
// the operators, as an AVS owner who changes multipliers and leaves the weights to others.
// Strategies are sorted by the call; multipliers follow their strategy and must sum to 10,000.
func (a *Actor) SetECDSAQuorum(ctx context.Context, strategies []common.Address, multipliersBPS []uint64) (*types.Receipt, error) {
	reg, err := a.ecdsaRegistry()
	if err != nil {
		return nil, err
	}
	if len(strategies) != len(multipliersBPS) {
		return nil, fmt.Errorf("%d strategies and %d multipliers", len(strategies), len(multipliersBPS))
	}
	params := make([]ecdsastakeregistry.ECDSAStakeRegistryStrategyParams, len(strategies))
	for i, s := range strategies {
		params[i] = ecdsastakeregistry.ECDSAStakeRegistryStrategyParams{Strategy: s, Multiplier: new(big.Int).SetUint64(multipliersBPS[i])}
	}
	slices.SortFunc(params, func(x, y ecdsastakeregistry.ECDSAStakeRegistryStrategyParams) int {
		return bytes.Compare(x.Strategy[:], y.Strategy[:])
	})
	return a.sendReceipt(ctx, "updateQuorumConfig", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return reg.UpdateQuorumConfig(o, ecdsastakeregistry.ECDSAStakeRegistryQuorum{Strategies: params}, nil)
	})
}

// SetECDSAMinimumWeight sets the ECDSA registry's minimum weight (the owner, key 0, only),
// updating none of the operators.
func (a *Actor) SetECDSAMinimumWeight(ctx context.Context, w *big.Int) (*types.Receipt, error) {
	reg, err := a.ecdsaRegistry()
	if err != nil {
		return nil, err
	}
	return a.sendReceipt(ctx, "updateMinimumWeight", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return reg.UpdateMinimumWeight(o, w, nil)
	})
}

// ECDSAWeights returns, for each operator, the weight the ECDSA registry stores (its last
// checkpoint) and the weight an update would store now (0 when not registered).
func (d *Devnet) ECDSAWeights(ctx context.Context, ops []common.Address) (stored, current []*big.Int, err error) {
	if d.Shape == nil || d.Shape.ECDSAStakeRegistry == (common.Address{}) {
		return nil, nil, errors.New("the devnet has no ECDSA stake registry (--profile ecdsa)")
	}
	reg, err := ecdsastakeregistry.NewECDSAStakeRegistryCaller(d.Shape.ECDSAStakeRegistry, d.client)
	if err != nil {
		return nil, nil, err
	}
	call := &bind.CallOpts{Context: ctx}
	for _, op := range ops {
		s, err := reg.GetLastCheckpointOperatorWeight(call, op)
		if err != nil {
			return nil, nil, fmt.Errorf("read stored weight of %s: %w", op, err)
		}
		c := new(big.Int)
		ok, err := reg.OperatorRegistered(call, op)
		if err != nil {
			return nil, nil, fmt.Errorf("read registration of %s: %w", op, err)
		}
		if ok {
			if c, err = reg.GetOperatorWeight(call, op); err != nil {
				return nil, nil, fmt.Errorf("read weight of %s: %w", op, err)
			}
		}
		stored, current = append(stored, s), append(current, c)
	}
	return stored, current, nil
}

// ECDSAUpdateOperators calls the ECDSA registry's updateOperators(ops) from the actor.
func (a *Actor) ECDSAUpdateOperators(ctx context.Context, ops []common.Address) (*types.Receipt, error) {
	reg, err := a.ecdsaRegistry()
	if err != nil {
		return nil, err
	}
	return a.sendFixedGas(ctx, "updateOperators", func(o *bind.TransactOpts) (*types.Transaction, error) {
		o.GasLimit = 15_000_000
		return reg.UpdateOperators(o, ops)
	})
}

// ECDSAUpdateOperatorsForQuorum calls the ECDSA registry's updateOperatorsForQuorum with ops as
// its one list, from the actor.
func (a *Actor) ECDSAUpdateOperatorsForQuorum(ctx context.Context, ops []common.Address) (*types.Receipt, error) {
	reg, err := a.ecdsaRegistry()
	if err != nil {
		return nil, err
	}
	return a.sendFixedGas(ctx, "updateOperatorsForQuorum", func(o *bind.TransactOpts) (*types.Transaction, error) {
		o.GasLimit = 15_000_000
		return reg.UpdateOperatorsForQuorum(o, [][]common.Address{ops}, []byte{0})
	})
}
