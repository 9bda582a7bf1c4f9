package devnet

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/Layr-Labs/eigensdk-go/chainio/clients/avsregistry"
	"github.com/Layr-Labs/eigensdk-go/chainio/clients/elcontracts"
	"github.com/Layr-Labs/eigensdk-go/chainio/clients/wallet"
	"github.com/Layr-Labs/eigensdk-go/chainio/txmgr"
	"github.com/Layr-Labs/eigensdk-go/chainio/txmgr/geometric"
	chainioutils "github.com/Layr-Labs/eigensdk-go/chainio/utils"
	delegationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/DelegationManager"
	mockerc20 "github.com/Layr-Labs/eigensdk-go/contracts/bindings/MockERC20"
	opstateretriever "github.com/Layr-Labs/eigensdk-go/contracts/bindings/OperatorStateRetriever"
	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/Layr-Labs/eigensdk-go/crypto/bls"
	"github.com/Layr-Labs/eigensdk-go/logging"
	"github.com/Layr-Labs/eigensdk-go/signerv2"
	eigentypes "github.com/Layr-Labs/eigensdk-go/types"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// Actor is one funded account acting on the devnet through the SDK's writers: an operator, a
// staker, or the AVS owner (key 0).
type Actor struct {
	Key     *ecdsa.PrivateKey
	Address common.Address

	d      *Devnet
	client *ethclient.Client
	txm    txmgr.TxManager
	el     *elcontracts.ChainWriter
	avs    *avsregistry.ChainWriter
	dm     *delegationmanager.ContractDelegationManager
	token  *mockerc20.ContractMockERC20
	rc     *regcoord.ContractRegistryCoordinator
}

// Actor returns an actor for funded key i (see Key).
func (d *Devnet) Actor(ctx context.Context, i int) (*Actor, error) {
	return d.ActorFor(ctx, d.keys[i])
}

// ActorFor returns an actor signing with key, which must hold ETH on the devnet.
func (d *Devnet) ActorFor(ctx context.Context, key *ecdsa.PrivateKey) (*Actor, error) {
	client, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		return nil, fmt.Errorf("dial devnet: %w", err)
	}
	addr := crypto.PubkeyToAddress(key.PublicKey)
	logger := logging.NewTextSLogger(io.Discard, &logging.SLoggerOptions{})
	signer, _, err := signerv2.SignerFromConfig(signerv2.Config{PrivateKey: key}, big.NewInt(ChainID))
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	w, err := wallet.NewPrivateKeyWallet(client, signer, addr, logger)
	if err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	// The SDK's simple manager polls receipts every 2 s; the devnet makes blocks far faster.
	txm := geometric.NewGeometricTxnManager(client, w, logger, geometric.NewNoopMetrics(), geometric.GeometricTxnManagerParams{
		GetTxReceiptTickerDuration: 20 * time.Millisecond,
		TxnConfirmationTimeout:     30 * time.Second,
	})
	elCfg := elcontracts.Config{
		DelegationManagerAddress:    d.Addresses.DelegationManager,
		AvsDirectoryAddress:         d.Addresses.AVSDirectory,
		RewardsCoordinatorAddress:   d.Addresses.RewardsCoordinator,
		PermissionControllerAddress: d.Addresses.PermissionController,
		DontUseAllocationManager:    d.Flavor == M2,
	}
	_, el, _, err := elcontracts.BuildClients(elCfg, client, txm, logger, nil)
	if err != nil {
		return nil, fmt.Errorf("eigenlayer writer: %w", err)
	}
	avs, err := avsregistry.NewWriterFromConfig(avsregistry.Config{
		RegistryCoordinatorAddress:    d.Addresses.RegistryCoordinator,
		OperatorStateRetrieverAddress: d.Addresses.OperatorStateRetriever,
		ServiceManagerAddress:         d.Addresses.ServiceManager,
		DontUseAllocationManager:      d.Flavor == M2,
	}, client, txm, logger)
	if err != nil {
		return nil, fmt.Errorf("avs registry writer: %w", err)
	}
	dm, err := delegationmanager.NewContractDelegationManager(d.Addresses.DelegationManager, client)
	if err != nil {
		return nil, err
	}
	token, err := mockerc20.NewContractMockERC20(d.Addresses.Token, client)
	if err != nil {
		return nil, err
	}
	rc, err := regcoord.NewContractRegistryCoordinator(d.Addresses.RegistryCoordinator, client)
	if err != nil {
		return nil, err
	}
	return &Actor{Key: key, Address: addr, d: d, client: client, txm: txm, el: el, avs: avs, dm: dm, token: token, rc: rc}, nil
}

// Close releases the actor's connection.
func (a *Actor) Close() { a.client.Close() }

// RegisterOperator makes the actor an EigenLayer operator (DelegationManager.registerAsOperator).
func (a *Actor) RegisterOperator(ctx context.Context) error {
	var err error
	if a.d.Flavor == M2 {
		_, err = a.el.RegisterAsOperatorPreSlashing(ctx, eigentypes.M2Operator{
			Address:                   a.Address.Hex(),
			DelegationApproverAddress: common.Address{}.Hex(),
			MetadataUrl:               "https://example.com/operator.json",
		}, true)
	} else {
		_, err = a.el.RegisterAsOperator(ctx, eigentypes.Operator{
			Address:                   a.Address.Hex(),
			DelegationApproverAddress: common.Address{}.Hex(),
			MetadataUrl:               "https://example.com/operator.json",
		}, true)
	}
	if err != nil {
		return fmt.Errorf("register %s as operator: %w", a.Address, err)
	}
	return nil
}

// RegisterWithAVS registers the actor, already an EigenLayer operator, with the AVS in quorums:
// through the AllocationManager's operator sets on the slashing deployment, through the
// RegistryCoordinator on M2. The BLS key is derived from the actor's key.
func (a *Actor) RegisterWithAVS(ctx context.Context, quorums ...uint8) error {
	return a.RegisterWithAVSAt(ctx, a.d.Addresses.ServiceManager, quorums...)
}

// RegisterWithAVSAt is RegisterWithAVS through the operator sets of the AVS at avs (slashing
// deployment; M2 registers with the RegistryCoordinator whatever avs is).
func (a *Actor) RegisterWithAVSAt(ctx context.Context, avs common.Address, quorums ...uint8) error {
	blsKey, err := a.blsKey()
	if err != nil {
		return err
	}
	if a.d.Flavor == M2 {
		_, err = a.avs.RegisterOperator(ctx, a.Key, blsKey, eigentypes.QuorumNums(toQuorumNums(quorums)), "localhost:9000", true)
	} else {
		ids := make([]uint32, len(quorums))
		for i, q := range quorums {
			ids[i] = uint32(q)
		}
		_, err = a.el.RegisterForOperatorSets(ctx, a.d.Addresses.RegistryCoordinator, elcontracts.RegistrationRequest{
			OperatorAddress: a.Address,
			AVSAddress:      avs,
			OperatorSetIds:  ids,
			BlsKeyPair:      blsKey,
			Socket:          "localhost:9000",
			WaitForReceipt:  true,
		})
	}
	if err != nil {
		return fmt.Errorf("register %s with the AVS in quorums %v: %w", a.Address, quorums, err)
	}
	return nil
}

// DeregisterFromAVS removes the actor from quorums of the AVS.
func (a *Actor) DeregisterFromAVS(ctx context.Context, quorums ...uint8) error {
	var err error
	if a.d.Flavor == M2 {
		var blsKey *bls.KeyPair
		if blsKey, err = a.blsKey(); err == nil {
			_, err = a.avs.DeregisterOperator(ctx, eigentypes.QuorumNums(toQuorumNums(quorums)), chainioutils.ConvertToBN254G1Point(blsKey.GetPubKeyG1()), true)
		}
	} else {
		ids := make([]uint32, len(quorums))
		for i, q := range quorums {
			ids[i] = uint32(q)
		}
		_, err = a.el.DeregisterFromOperatorSets(ctx, a.Address, elcontracts.DeregistrationRequest{
			AVSAddress:     a.d.Addresses.ServiceManager,
			OperatorSetIds: ids,
			WaitForReceipt: true,
		})
	}
	if err != nil {
		return fmt.Errorf("deregister %s from quorums %v: %w", a.Address, quorums, err)
	}
	return nil
}

// BLSKey is the BLS key pair the actor registers with as an operator, to sign certificates with.
func (a *Actor) BLSKey() (*bls.KeyPair, error) { return a.blsKey() }

func (a *Actor) blsKey() (*bls.KeyPair, error) {
	// A BN254 scalar well below the field order, derived from the ECDSA key so it is stable.
	seed := new(big.Int).SetBytes(crypto.Keccak256(crypto.FromECDSA(a.Key))[:30])
	kp, err := bls.NewKeyPairFromString(seed.String())
	if err != nil {
		return nil, fmt.Errorf("bls key: %w", err)
	}
	return kp, nil
}

// Deposit mints amount of the mock token to the actor and deposits it into the mock strategy. If the
// actor is delegated (an operator is delegated to itself), its operator's shares increase.
func (a *Actor) Deposit(ctx context.Context, amount *big.Int) (*types.Receipt, error) {
	if err := a.send(ctx, "mint", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.token.Mint(o, a.Address, amount)
	}); err != nil {
		return nil, err
	}
	r, err := a.el.DepositERC20IntoStrategy(ctx, a.d.Addresses.Strategy, amount, true)
	if err != nil {
		return nil, fmt.Errorf("deposit %s for %s: %w", amount, a.Address, err)
	}
	return r, nil
}

// DelegateTo delegates the actor's shares to operator.
func (a *Actor) DelegateTo(ctx context.Context, operator common.Address) error {
	return a.send(ctx, "delegateTo", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.dm.DelegateTo(o, operator, delegationmanager.ISignatureUtilsMixinTypesSignatureWithExpiry{Signature: []byte{}, Expiry: big.NewInt(0)}, [32]byte{})
	})
}

// Undelegate undelegates the actor, queueing withdrawals of all its shares.
func (a *Actor) Undelegate(ctx context.Context) error {
	return a.send(ctx, "undelegate", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.dm.Undelegate(o, a.Address)
	})
}

// QueueWithdrawal queues a withdrawal of shares from the mock strategy, decreasing the operator's shares.
func (a *Actor) QueueWithdrawal(ctx context.Context, shares *big.Int) error {
	return a.send(ctx, "queueWithdrawals", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.dm.QueueWithdrawals(o, []delegationmanager.IDelegationManagerTypesQueuedWithdrawalParams{{
			Strategies:           []common.Address{a.d.Addresses.Strategy},
			DepositShares:        []*big.Int{shares},
			DeprecatedWithdrawer: a.Address,
		}})
	})
}

// UpdateOperators calls RegistryCoordinator.updateOperators.
func (a *Actor) UpdateOperators(ctx context.Context, operators []common.Address) (*types.Receipt, error) {
	return a.avs.UpdateStakesOfOperatorSubsetForAllQuorums(ctx, operators, true)
}

// UpdateOperatorsForQuorum calls RegistryCoordinator.updateOperatorsForQuorum.
func (a *Actor) UpdateOperatorsForQuorum(ctx context.Context, operators [][]common.Address, quorums []uint8) (*types.Receipt, error) {
	return a.avs.UpdateStakesOfEntireOperatorSetForQuorums(ctx, operators, eigentypes.QuorumNums(toQuorumNums(quorums)), true)
}

// CreateQuorum creates a total-delegated-stake quorum over the mock strategy (the actor must own
// the AVS: key 0) and returns its number.
func (a *Actor) CreateQuorum(ctx context.Context, minimumStake *big.Int) (uint8, error) {
	return a.CreateQuorumWeighing(ctx, minimumStake, big.NewInt(1e18))
}

// CreateQuorumWeighing is CreateQuorum with the mock strategy at the given multiplier: weight =
// shares × multiplier / 1e18, so 1e12 weighs the 18-decimal mock token as a quorum weighs a
// 6-decimal token at multiplier 1e18.
func (a *Actor) CreateQuorumWeighing(ctx context.Context, minimumStake, multiplier *big.Int) (uint8, error) {
	n, err := a.rc.QuorumCount(&bind.CallOpts{Context: ctx})
	if err != nil {
		return 0, fmt.Errorf("read quorum count: %w", err)
	}
	_, err = a.avs.CreateTotalDelegatedStakeQuorum(ctx,
		regcoord.ISlashingRegistryCoordinatorTypesOperatorSetParam{MaxOperatorCount: 1000, KickBIPsOfOperatorStake: 10000, KickBIPsOfTotalStake: 100},
		minimumStake,
		[]regcoord.IStakeRegistryTypesStrategyParams{{Strategy: a.d.Addresses.Strategy, Multiplier: multiplier}},
		true)
	if err != nil {
		return 0, fmt.Errorf("create quorum: %w", err)
	}
	return n, nil
}

// SetMinimumStake sets a quorum's minimum stake (owner only).
func (a *Actor) SetMinimumStake(ctx context.Context, quorum uint8, minimum *big.Int) error {
	_, err := a.avs.SetMinimumStakeForQuorum(ctx, quorum, minimum, true)
	if err != nil {
		return fmt.Errorf("set minimum stake of quorum %d: %w", quorum, err)
	}
	return nil
}

// send builds a transaction with the actor's no-send options and sends it through its tx manager,
// waiting for the receipt and failing on revert.
func (a *Actor) send(ctx context.Context, what string, build func(*bind.TransactOpts) (*types.Transaction, error)) error {
	opts, err := a.txm.GetNoSendTxOpts()
	if err != nil {
		return err
	}
	opts.Context = ctx
	tx, err := build(opts)
	if err != nil {
		return fmt.Errorf("%s from %s: %w", what, a.Address, err)
	}
	r, err := a.txm.Send(ctx, tx, true)
	if err != nil {
		return fmt.Errorf("%s from %s: %w", what, a.Address, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return fmt.Errorf("%s from %s reverted in tx %s", what, a.Address, r.TxHash)
	}
	return nil
}

func toQuorumNums(qs []uint8) []eigentypes.QuorumNum {
	out := make([]eigentypes.QuorumNum, len(qs))
	for i, q := range qs {
		out[i] = eigentypes.QuorumNum(q)
	}
	return out
}

// Stakes reads an operator's stored stake and current weight in a quorum, both at the head.
func (d *Devnet) Stakes(ctx context.Context, operator common.Address, quorum uint8) (stored, weight *big.Int, err error) {
	head, err := d.client.BlockNumber(ctx)
	if err != nil {
		return nil, nil, err
	}
	opts := &bind.CallOpts{Context: ctx, BlockNumber: new(big.Int).SetUint64(head)}
	id, err := d.coordinator.GetOperatorId(opts, operator)
	if err != nil {
		return nil, nil, fmt.Errorf("read operator id: %w", err)
	}
	if stored, err = d.stakes.GetCurrentStake(opts, id, quorum); err != nil {
		return nil, nil, fmt.Errorf("read stored stake: %w", err)
	}
	if weight, err = d.stakes.WeightOfOperatorForQuorum(opts, quorum, operator); err != nil {
		return nil, nil, fmt.Errorf("read weight: %w", err)
	}
	return stored, weight, nil
}

// QuorumOperators reads the operators registered in quorum through the OperatorStateRetriever.
func (d *Devnet) QuorumOperators(ctx context.Context, quorum uint8) ([]common.Address, error) {
	osr, err := opstateretriever.NewContractOperatorStateRetriever(d.Addresses.OperatorStateRetriever, d.client)
	if err != nil {
		return nil, err
	}
	head, err := d.client.BlockNumber(ctx)
	if err != nil {
		return nil, err
	}
	state, err := osr.GetOperatorState(&bind.CallOpts{Context: ctx}, d.Addresses.RegistryCoordinator, []byte{quorum}, uint32(head))
	if err != nil {
		return nil, fmt.Errorf("read operators of quorum %d: %w", quorum, err)
	}
	var out []common.Address
	for _, o := range state[0] {
		out = append(out, o.Operator)
	}
	return out, nil
}
