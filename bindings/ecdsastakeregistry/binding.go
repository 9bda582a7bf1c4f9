// Code generated - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package ecdsastakeregistry

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/event"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = errors.New
	_ = big.NewInt
	_ = strings.NewReader
	_ = ethereum.NotFound
	_ = bind.Bind
	_ = common.Big1
	_ = types.BloomLookup
	_ = event.NewSubscription
	_ = abi.ConvertType
	_ = time.Tick
	_ = context.Background
)

// ECDSAStakeRegistryQuorum is an auto generated low-level Go binding around an user-defined struct.
type ECDSAStakeRegistryQuorum struct {
	Strategies []ECDSAStakeRegistryStrategyParams
}

// ECDSAStakeRegistrySignatureWithSaltAndExpiry is an auto generated low-level Go binding around an user-defined struct.
type ECDSAStakeRegistrySignatureWithSaltAndExpiry struct {
	Signature []byte
	Salt      [32]byte
	Expiry    *big.Int
}

// ECDSAStakeRegistryStrategyParams is an auto generated low-level Go binding around an user-defined struct.
type ECDSAStakeRegistryStrategyParams struct {
	Strategy   common.Address
	Multiplier *big.Int
}

// ECDSAStakeRegistryMetaData contains all meta data concerning the ECDSAStakeRegistry contract.
var ECDSAStakeRegistryMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"delegationManager\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"AlreadyInitialized\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"BlockNotYetMined\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"InvalidQuorum\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"MustUpdateAllOperators\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotOwner\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotSorted\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"OperatorAlreadyRegistered\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"OperatorNotRegistered\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"previous\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"current\",\"type\":\"uint256\"}],\"name\":\"MinimumWeightUpdated\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"avs\",\"type\":\"address\"}],\"name\":\"OperatorDeregistered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"avs\",\"type\":\"address\"}],\"name\":\"OperatorRegistered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"oldWeight\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"newWeight\",\"type\":\"uint256\"}],\"name\":\"OperatorWeightUpdated\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"components\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"strategy\",\"type\":\"address\"},{\"internalType\":\"uint96\",\"name\":\"multiplier\",\"type\":\"uint96\"}],\"internalType\":\"structECDSAStakeRegistry.StrategyParams[]\",\"name\":\"strategies\",\"type\":\"tuple[]\"}],\"indexed\":false,\"internalType\":\"structECDSAStakeRegistry.Quorum\",\"name\":\"previous\",\"type\":\"tuple\"},{\"components\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"strategy\",\"type\":\"address\"},{\"internalType\":\"uint96\",\"name\":\"multiplier\",\"type\":\"uint96\"}],\"internalType\":\"structECDSAStakeRegistry.StrategyParams[]\",\"name\":\"strategies\",\"type\":\"tuple[]\"}],\"indexed\":false,\"internalType\":\"structECDSAStakeRegistry.Quorum\",\"name\":\"current\",\"type\":\"tuple\"}],\"name\":\"QuorumUpdated\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"updateBlock\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"newSigningKey\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"oldSigningKey\",\"type\":\"address\"}],\"name\":\"SigningKeyUpdate\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"thresholdWeight\",\"type\":\"uint256\"}],\"name\":\"ThresholdWeightUpdated\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"oldTotalWeight\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"newTotalWeight\",\"type\":\"uint256\"}],\"name\":\"TotalWeightUpdated\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"deregisterOperator\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"}],\"name\":\"getLastCheckpointOperatorWeight\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"getLastCheckpointThresholdWeight\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint32\",\"name\":\"blockNumber\",\"type\":\"uint32\"}],\"name\":\"getLastCheckpointThresholdWeightAtBlock\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"getLastCheckpointTotalWeight\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint32\",\"name\":\"blockNumber\",\"type\":\"uint32\"}],\"name\":\"getLastCheckpointTotalWeightAtBlock\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"}],\"name\":\"getLatestOperatorSigningKey\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"blockNumber\",\"type\":\"uint256\"}],\"name\":\"getOperatorSigningKeyAtBlock\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"}],\"name\":\"getOperatorWeight\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"uint32\",\"name\":\"blockNumber\",\"type\":\"uint32\"}],\"name\":\"getOperatorWeightAtBlock\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"serviceManager_\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"thresholdWeight\",\"type\":\"uint256\"},{\"components\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"strategy\",\"type\":\"address\"},{\"internalType\":\"uint96\",\"name\":\"multiplier\",\"type\":\"uint96\"}],\"internalType\":\"structECDSAStakeRegistry.StrategyParams[]\",\"name\":\"strategies\",\"type\":\"tuple[]\"}],\"internalType\":\"structECDSAStakeRegistry.Quorum\",\"name\":\"quorum_\",\"type\":\"tuple\"}],\"name\":\"initialize\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"minimumWeight\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"}],\"name\":\"operatorRegistered\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"owner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"quorum\",\"outputs\":[{\"components\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"strategy\",\"type\":\"address\"},{\"internalType\":\"uint96\",\"name\":\"multiplier\",\"type\":\"uint96\"}],\"internalType\":\"structECDSAStakeRegistry.StrategyParams[]\",\"name\":\"strategies\",\"type\":\"tuple[]\"}],\"internalType\":\"structECDSAStakeRegistry.Quorum\",\"name\":\"\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"bytes\",\"name\":\"signature\",\"type\":\"bytes\"},{\"internalType\":\"bytes32\",\"name\":\"salt\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"expiry\",\"type\":\"uint256\"}],\"internalType\":\"structECDSAStakeRegistry.SignatureWithSaltAndExpiry\",\"name\":\"\",\"type\":\"tuple\"},{\"internalType\":\"address\",\"name\":\"signingKey\",\"type\":\"address\"}],\"name\":\"registerOperatorWithSignature\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"newMinimumWeight\",\"type\":\"uint256\"},{\"internalType\":\"address[]\",\"name\":\"operators\",\"type\":\"address[]\"}],\"name\":\"updateMinimumWeight\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"newSigningKey\",\"type\":\"address\"}],\"name\":\"updateOperatorSigningKey\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address[]\",\"name\":\"operators\",\"type\":\"address[]\"}],\"name\":\"updateOperators\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address[][]\",\"name\":\"operatorsPerQuorum\",\"type\":\"address[][]\"},{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"name\":\"updateOperatorsForQuorum\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"strategy\",\"type\":\"address\"},{\"internalType\":\"uint96\",\"name\":\"multiplier\",\"type\":\"uint96\"}],\"internalType\":\"structECDSAStakeRegistry.StrategyParams[]\",\"name\":\"strategies\",\"type\":\"tuple[]\"}],\"internalType\":\"structECDSAStakeRegistry.Quorum\",\"name\":\"quorum_\",\"type\":\"tuple\"},{\"internalType\":\"address[]\",\"name\":\"operators\",\"type\":\"address[]\"}],\"name\":\"updateQuorumConfig\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"thresholdWeight\",\"type\":\"uint256\"}],\"name\":\"updateStakeThreshold\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	Bin: "0x60a0604052348015600f57600080fd5b50604051611a59380380611a59833981016040819052602c91603c565b6001600160a01b0316608052606a565b600060208284031215604d57600080fd5b81516001600160a01b0381168114606357600080fd5b9392505050565b6080516119d4610085600039600061085c01526119d46000f3fe608060405234801561001057600080fd5b50600436106101415760003560e01c8063696255be116100b857806398ec1ac91161007c57806398ec1ac914610284578063a2ce5fd114610297578063ab118995146102aa578063b933fa74146102bd578063dec5d1f6146102c5578063ec7fbb31146102d857600080fd5b8063696255be14610230578063743c31f414610243578063857dc190146102565780638da5cb5b1461025e578063955f2d901461027157600080fd5b80633b242e4a1161010a5780633b242e4a146101b15780633d5611f6146101c457806340bf2fb7146101d75780635140a548146101df5780635e1042e8146101f25780635ef533291461021d57600080fd5b8062cf2ab5146101465780630dba33941461015b5780631703a018146101815780631e4cd85e14610196578063314f3a49146101a9575b600080fd5b610159610154366004611283565b610314565b005b61016e6101693660046112d3565b610320565b6040519081526020015b60405180910390f35b610189610339565b604051610178919061134c565b61016e6101a43660046112d3565b6103cc565b61016e6103df565b61016e6101bf36600461135f565b6103f0565b6101596101d23660046113e9565b610411565b60035461016e565b6101596101ed36600461149b565b6104d5565b61020561020036600461157b565b610539565b6040516001600160a01b039091168152602001610178565b61015961022b3660046115a5565b610562565b61015961023e3660046115be565b610596565b61015961025136600461135f565b610610565b61015961064a565b600054610205906001600160a01b031681565b61016e61027f3660046115fa565b6106f9565b61016e61029236600461135f565b610721565b6102056102a536600461135f565b610972565b6101596102b836600461170b565b610993565b61016e610a05565b6101596102d3366004611761565b610a11565b6103046102e636600461135f565b6001600160a01b031660009081526009602052604090205460ff1690565b6040519015158152602001610178565b61031d81610a4a565b50565b600061033360068363ffffffff16610a97565b92915050565b6040805160208101909152606081526040805160028054602081810284018501855283018181529293919284929091849160009085015b828210156103bf57600084815260209081902060408051808201909152908401546001600160a01b0381168252600160a01b90046001600160601b031681830152825260019092019101610370565b5050505081525050905090565b600061033360078363ffffffff16610a97565b60006103eb6006610b81565b905090565b6001600160a01b038116600090815260086020526040812061033390610b81565b3360008181526009602052604090205460ff1615610442576040516342ee68b560e01b815260040160405180910390fd5b60018054906000610452836117c8565b90915550506001600160a01b0381166000908152600960205260409020805460ff1916600117905561048b61048682610bdd565b610cc5565b6104958183610d2a565b6004546040516001600160a01b03918216918316907fa453db612af59e5521d6ab9284dc3e2d06af286eb1b1b7b771fce4716c19f2c190600090a3505050565b600154826000815181106104eb576104eb6117e1565b602002602001015151146105125760405163169efb5b60e11b815260040160405180910390fd5b61053582600081518110610528576105286117e1565b6020026020010151610a4a565b5050565b6001600160a01b038216600090815260056020526040812061055b9083610a97565b9392505050565b6000546001600160a01b0316331461058d576040516330cd747160e01b815260040160405180910390fd5b61031d81610dda565b6000546001600160a01b031633146105c1576040516330cd747160e01b815260040160405180910390fd5b600380549083905560408051828152602081018590527f713ca53b88d6eb63f5b1854cb8cbdd736ec51eda225e46791aa9298b0160648f910160405180910390a161060b82610a4a565b505050565b3360009081526009602052604090205460ff16610640576040516325ec6c1f60e01b815260040160405180910390fd5b61031d3382610d2a565b3360008181526009602052604090205460ff1661067a576040516325ec6c1f60e01b815260040160405180910390fd5b6001805490600061068a836117f7565b90915550506001600160a01b0381166000908152600960205260409020805460ff191690556106bb61048682610bdd565b6004546040516001600160a01b03918216918316907f31e0adfec71bccee37b6e83a90c2fedb17d8f1693fee863c4771e7bfe2aed58090600090a350565b6001600160a01b038216600090815260086020526040812061055b9063ffffffff8416610a97565b6000806002600001805480602002602001604051908101604052809291908181526020016000905b8282101561079857600084815260209081902060408051808201909152908401546001600160a01b0381168252600160a01b90046001600160601b031681830152825260019092019101610749565b505050509050600081516001600160401b038111156107b9576107b9611140565b6040519080825280602002602001820160405280156107e2578160200160208202803683370190505b50905060005b825181101561084157828181518110610803576108036117e1565b602002602001015160000151828281518110610821576108216117e1565b6001600160a01b03909216602092830291909101909101526001016107e8565b50604051639004134760e01b81526000906001600160a01b037f00000000000000000000000000000000000000000000000000000000000000001690639004134790610893908890869060040161180e565b600060405180830381865afa1580156108b0573d6000803e3d6000fd5b505050506040513d6000823e601f3d908101601f191682016040526108d8919081019061186d565b90506000805b8451811015610946578481815181106108f9576108f96117e1565b6020026020010151602001516001600160601b0316838281518110610920576109206117e1565b602002602001015161093291906118f8565b61093c908361190f565b91506001016108de565b5061095361271082611922565b9050600354811015610966576000610968565b805b9695505050505050565b6001600160a01b038116600090815260056020526040812061033390610b81565b600054600160a01b900460ff16156109bd5760405162dc149f60e41b815260040160405180910390fd5b600080546001600160a81b0319163317600160a01b179055600480546001600160a01b0385166001600160a01b0319919091161790556109fc82610dda565b61060b81610e1b565b60006103eb6007610b81565b6000546001600160a01b03163314610a3c576040516330cd747160e01b815260040160405180910390fd5b610a4582610e1b565b610535815b6000805b8251811015610a8d57610a79838281518110610a6c57610a6c6117e1565b6020026020010151610bdd565b610a839083611944565b9150600101610a4e565b5061053581610cc5565b6000438210610ab95760405163185e74f560e11b815260040160405180910390fd5b82546000905b80821015610b285760006002610ad5838561190f565b610adf9190611922565b905084868281548110610af457610af46117e1565b60009182526020909120015463ffffffff161115610b1457809150610b22565b610b1f81600161190f565b92505b50610abf565b8015610b6c5784610b3a60018361196c565b81548110610b4a57610b4a6117e1565b60009182526020909120015464010000000090046001600160e01b0316610b6f565b60005b6001600160e01b031695945050505050565b80546000908015610bca5782610b9860018361196c565b81548110610ba857610ba86117e1565b60009182526020909120015464010000000090046001600160e01b0316610bcd565b60005b6001600160e01b03169392505050565b6001600160a01b03811660009081526008602052604081208190610c0090610b81565b6001600160a01b0384166000908152600960205260408120549192509060ff16610c2b576000610c34565b610c3484610721565b90506000610c42838361197f565b905080600003610c5757506000949350505050565b6001600160a01b0385166000908152600860205260409020610c799083611029565b60408051848152602081018490526001600160a01b038716917f88770dc862e47a7ed586907857eb1b75e4c5ffc8b707c7ee10eb74d6885fe594910160405180910390a2949350505050565b6000610cd16006610b81565b90506000610cdf8383611944565b9050610cec600682611029565b60408051838152602081018390527f86dcf86b12dfeedea74ae9300dbdaa193bcce5809369c8177ea2f4eaaa65729b910160405180910390a1505050565b6001600160a01b0382166000908152600560205260408120610d4b90610b81565b9050816001600160a01b0316816001600160a01b031603610d6b57505050565b6001600160a01b038084166000908152600560205260409020610d8f918416611029565b6040516001600160a01b0382811682528084169143918616907fd061168252f441733658f09e4d8f5b2d998ed4ef24a2bbfd6ceca52ea13150029060200160405180910390a4505050565b610de5600782611029565b6040518181527f9324f7e5a7c0288808a634ccde44b8e979676474b22e29ee9dd569b55e791a4b9060200160405180910390a150565b60008060005b835151811015610ec757600084600001518281518110610e4357610e436117e1565b6020026020010151600001519050836001600160a01b0316816001600160a01b031611610e835760405163ba50f91160e01b815260040160405180910390fd5b80935084600001518281518110610e9c57610e9c6117e1565b6020026020010151602001516001600160601b031683610ebc919061190f565b925050600101610e21565b506127108114610eea5760405163d173577960e01b815260040160405180910390fd5b60408051600280546020818102840185018552830181815260009484928491879085015b82821015610f5d57600084815260209081902060408051808201909152908401546001600160a01b0381168252600160a01b90046001600160601b031681830152825260019092019101610f0e565b505050915250909150600290506000610f76828261110e565b505060005b845151811015610fe957845180516002919083908110610f9d57610f9d6117e1565b602090810291909101810151825460018181018555600094855293839020825192909301516001600160601b0316600160a01b026001600160a01b039092169190911791015501610f7b565b507f23aad4e61744ece164130aa415c1616e80136b0f0770e56589438b90b269265e818560405161101b9291906119a6565b60405180910390a150505050565b815480158015906110665750438361104260018461196c565b81548110611052576110526117e1565b60009182526020909120015463ffffffff16145b156110be57818361107860018461196c565b81548110611088576110886117e1565b9060005260206000200160000160046101000a8154816001600160e01b0302191690836001600160e01b03160217905550505050565b506040805180820190915263ffffffff43811682526001600160e01b0392831660208084019182528554600181018755600096875295209251905190931664010000000002921691909117910155565b508054600082559060005260206000209081019061031d91905b8082111561113c5760008155600101611128565b5090565b634e487b7160e01b600052604160045260246000fd5b604051602081016001600160401b038111828210171561117857611178611140565b60405290565b604080519081016001600160401b038111828210171561117857611178611140565b604051601f8201601f191681016001600160401b03811182821017156111c8576111c8611140565b604052919050565b60006001600160401b038211156111e9576111e9611140565b5060051b60200190565b80356001600160a01b038116811461120a57600080fd5b919050565b600082601f83011261122057600080fd5b813561123361122e826111d0565b6111a0565b8082825260208201915060208360051b86010192508583111561125557600080fd5b602085015b838110156112795761126b816111f3565b83526020928301920161125a565b5095945050505050565b60006020828403121561129557600080fd5b81356001600160401b038111156112ab57600080fd5b6112b78482850161120f565b949350505050565b803563ffffffff8116811461120a57600080fd5b6000602082840312156112e557600080fd5b61055b826112bf565b80516020808452815184820181905260009290910190829060408601905b8083101561127957835180516001600160a01b031683526020908101516001600160601b031681840152909301926001929092019160409091019061130c565b60208152600061055b60208301846112ee565b60006020828403121561137157600080fd5b61055b826111f3565b600082601f83011261138b57600080fd5b81356001600160401b038111156113a4576113a4611140565b6113b7601f8201601f19166020016111a0565b8181528460208386010111156113cc57600080fd5b816020850160208301376000918101602001919091529392505050565b600080604083850312156113fc57600080fd5b82356001600160401b0381111561141257600080fd5b83016060818603121561142457600080fd5b604051606081016001600160401b038111828210171561144657611446611140565b60405281356001600160401b0381111561145f57600080fd5b61146b8782850161137a565b825250602082810135818301526040928301359282019290925292506114929084016111f3565b90509250929050565b600080604083850312156114ae57600080fd5b82356001600160401b038111156114c457600080fd5b8301601f810185136114d557600080fd5b80356114e361122e826111d0565b8082825260208201915060208360051b85010192508783111561150557600080fd5b602084015b838110156115465780356001600160401b0381111561152857600080fd5b6115378a60208389010161120f565b8452506020928301920161150a565b50945050505060208301356001600160401b0381111561156557600080fd5b6115718582860161137a565b9150509250929050565b6000806040838503121561158e57600080fd5b611597836111f3565b946020939093013593505050565b6000602082840312156115b757600080fd5b5035919050565b600080604083850312156115d157600080fd5b8235915060208301356001600160401b038111156115ee57600080fd5b6115718582860161120f565b6000806040838503121561160d57600080fd5b611616836111f3565b9150611492602084016112bf565b60006020828403121561163657600080fd5b61163e611156565b905081356001600160401b0381111561165657600080fd5b8201601f8101841361166757600080fd5b803561167561122e826111d0565b8082825260208201915060208360061b85010192508683111561169757600080fd5b6020840193505b828410156116ff57604084880312156116b657600080fd5b6116be61117e565b6116c7856111f3565b815260208501356001600160601b03811681146116e357600080fd5b806020830152508083525060208201915060408401935061169e565b84525091949350505050565b60008060006060848603121561172057600080fd5b611729846111f3565b92506020840135915060408401356001600160401b0381111561174b57600080fd5b61175786828701611624565b9150509250925092565b6000806040838503121561177457600080fd5b82356001600160401b0381111561178a57600080fd5b61179685828601611624565b92505060208301356001600160401b038111156115ee57600080fd5b634e487b7160e01b600052601160045260246000fd5b6000600182016117da576117da6117b2565b5060010190565b634e487b7160e01b600052603260045260246000fd5b600081611806576118066117b2565b506000190190565b6001600160a01b0383168152604060208083018290528351918301829052600091908401906060840190835b818110156118615783516001600160a01b031683526020938401939092019160010161183a565b50909695505050505050565b60006020828403121561187f57600080fd5b81516001600160401b0381111561189557600080fd5b8201601f810184136118a657600080fd5b80516118b461122e826111d0565b8082825260208201915060208360051b8501019250868311156118d657600080fd5b6020840193505b828410156109685783518252602093840193909101906118dd565b8082028115828204841417610333576103336117b2565b80820180821115610333576103336117b2565b60008261193f57634e487b7160e01b600052601260045260246000fd5b500490565b8082018281126000831280158216821582161715611964576119646117b2565b505092915050565b81810381811115610333576103336117b2565b818103600083128015838313168383128216171561199f5761199f6117b2565b5092915050565b6040815260006119b960408301856112ee565b82810360208401526119cb81856112ee565b9594505050505056",
}

// ECDSAStakeRegistryABI is the input ABI used to generate the binding from.
// Deprecated: Use ECDSAStakeRegistryMetaData.ABI instead.
var ECDSAStakeRegistryABI = ECDSAStakeRegistryMetaData.ABI

// ECDSAStakeRegistryBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use ECDSAStakeRegistryMetaData.Bin instead.
var ECDSAStakeRegistryBin = ECDSAStakeRegistryMetaData.Bin

// DeployECDSAStakeRegistry deploys a new Ethereum contract, binding an instance of ECDSAStakeRegistry to it.
func DeployECDSAStakeRegistry(auth *bind.TransactOpts, backend bind.ContractBackend, delegationManager common.Address) (common.Address, *types.Transaction, *ECDSAStakeRegistry, error) {
	parsed, err := ECDSAStakeRegistryMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(ECDSAStakeRegistryBin), backend, delegationManager)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &ECDSAStakeRegistry{ECDSAStakeRegistryCaller: ECDSAStakeRegistryCaller{contract: contract}, ECDSAStakeRegistryTransactor: ECDSAStakeRegistryTransactor{contract: contract}, ECDSAStakeRegistryFilterer: ECDSAStakeRegistryFilterer{contract: contract}}, nil
}

// ECDSAStakeRegistry is an auto generated Go binding around an Ethereum contract.
type ECDSAStakeRegistry struct {
	ECDSAStakeRegistryCaller     // Read-only binding to the contract
	ECDSAStakeRegistryTransactor // Write-only binding to the contract
	ECDSAStakeRegistryFilterer   // Log filterer for contract events
}

// ECDSAStakeRegistryCaller is an auto generated read-only Go binding around an Ethereum contract.
type ECDSAStakeRegistryCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// ECDSAStakeRegistryTransactor is an auto generated write-only Go binding around an Ethereum contract.
type ECDSAStakeRegistryTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// ECDSAStakeRegistryFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type ECDSAStakeRegistryFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// ECDSAStakeRegistrySession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type ECDSAStakeRegistrySession struct {
	Contract     *ECDSAStakeRegistry // Generic contract binding to set the session for
	CallOpts     bind.CallOpts       // Call options to use throughout this session
	TransactOpts bind.TransactOpts   // Transaction auth options to use throughout this session
}

// ECDSAStakeRegistryCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type ECDSAStakeRegistryCallerSession struct {
	Contract *ECDSAStakeRegistryCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts             // Call options to use throughout this session
}

// ECDSAStakeRegistryTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type ECDSAStakeRegistryTransactorSession struct {
	Contract     *ECDSAStakeRegistryTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts             // Transaction auth options to use throughout this session
}

// ECDSAStakeRegistryRaw is an auto generated low-level Go binding around an Ethereum contract.
type ECDSAStakeRegistryRaw struct {
	Contract *ECDSAStakeRegistry // Generic contract binding to access the raw methods on
}

// ECDSAStakeRegistryCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type ECDSAStakeRegistryCallerRaw struct {
	Contract *ECDSAStakeRegistryCaller // Generic read-only contract binding to access the raw methods on
}

// ECDSAStakeRegistryTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type ECDSAStakeRegistryTransactorRaw struct {
	Contract *ECDSAStakeRegistryTransactor // Generic write-only contract binding to access the raw methods on
}

// NewECDSAStakeRegistry creates a new instance of ECDSAStakeRegistry, bound to a specific deployed contract.
func NewECDSAStakeRegistry(address common.Address, backend bind.ContractBackend) (*ECDSAStakeRegistry, error) {
	contract, err := bindECDSAStakeRegistry(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistry{ECDSAStakeRegistryCaller: ECDSAStakeRegistryCaller{contract: contract}, ECDSAStakeRegistryTransactor: ECDSAStakeRegistryTransactor{contract: contract}, ECDSAStakeRegistryFilterer: ECDSAStakeRegistryFilterer{contract: contract}}, nil
}

// NewECDSAStakeRegistryCaller creates a new read-only instance of ECDSAStakeRegistry, bound to a specific deployed contract.
func NewECDSAStakeRegistryCaller(address common.Address, caller bind.ContractCaller) (*ECDSAStakeRegistryCaller, error) {
	contract, err := bindECDSAStakeRegistry(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistryCaller{contract: contract}, nil
}

// NewECDSAStakeRegistryTransactor creates a new write-only instance of ECDSAStakeRegistry, bound to a specific deployed contract.
func NewECDSAStakeRegistryTransactor(address common.Address, transactor bind.ContractTransactor) (*ECDSAStakeRegistryTransactor, error) {
	contract, err := bindECDSAStakeRegistry(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistryTransactor{contract: contract}, nil
}

// NewECDSAStakeRegistryFilterer creates a new log filterer instance of ECDSAStakeRegistry, bound to a specific deployed contract.
func NewECDSAStakeRegistryFilterer(address common.Address, filterer bind.ContractFilterer) (*ECDSAStakeRegistryFilterer, error) {
	contract, err := bindECDSAStakeRegistry(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistryFilterer{contract: contract}, nil
}

// bindECDSAStakeRegistry binds a generic wrapper to an already deployed contract.
func bindECDSAStakeRegistry(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := ECDSAStakeRegistryMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_ECDSAStakeRegistry *ECDSAStakeRegistryRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _ECDSAStakeRegistry.Contract.ECDSAStakeRegistryCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_ECDSAStakeRegistry *ECDSAStakeRegistryRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.ECDSAStakeRegistryTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_ECDSAStakeRegistry *ECDSAStakeRegistryRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.ECDSAStakeRegistryTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _ECDSAStakeRegistry.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.contract.Transact(opts, method, params...)
}

// GetLastCheckpointOperatorWeight is a free data retrieval call binding the contract method 0x3b242e4a.
//
// Solidity: function getLastCheckpointOperatorWeight(address operator) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) GetLastCheckpointOperatorWeight(opts *bind.CallOpts, operator common.Address) (*big.Int, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "getLastCheckpointOperatorWeight", operator)

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// GetLastCheckpointOperatorWeight is a free data retrieval call binding the contract method 0x3b242e4a.
//
// Solidity: function getLastCheckpointOperatorWeight(address operator) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) GetLastCheckpointOperatorWeight(operator common.Address) (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetLastCheckpointOperatorWeight(&_ECDSAStakeRegistry.CallOpts, operator)
}

// GetLastCheckpointOperatorWeight is a free data retrieval call binding the contract method 0x3b242e4a.
//
// Solidity: function getLastCheckpointOperatorWeight(address operator) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) GetLastCheckpointOperatorWeight(operator common.Address) (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetLastCheckpointOperatorWeight(&_ECDSAStakeRegistry.CallOpts, operator)
}

// GetLastCheckpointThresholdWeight is a free data retrieval call binding the contract method 0xb933fa74.
//
// Solidity: function getLastCheckpointThresholdWeight() view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) GetLastCheckpointThresholdWeight(opts *bind.CallOpts) (*big.Int, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "getLastCheckpointThresholdWeight")

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// GetLastCheckpointThresholdWeight is a free data retrieval call binding the contract method 0xb933fa74.
//
// Solidity: function getLastCheckpointThresholdWeight() view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) GetLastCheckpointThresholdWeight() (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetLastCheckpointThresholdWeight(&_ECDSAStakeRegistry.CallOpts)
}

// GetLastCheckpointThresholdWeight is a free data retrieval call binding the contract method 0xb933fa74.
//
// Solidity: function getLastCheckpointThresholdWeight() view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) GetLastCheckpointThresholdWeight() (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetLastCheckpointThresholdWeight(&_ECDSAStakeRegistry.CallOpts)
}

// GetLastCheckpointThresholdWeightAtBlock is a free data retrieval call binding the contract method 0x1e4cd85e.
//
// Solidity: function getLastCheckpointThresholdWeightAtBlock(uint32 blockNumber) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) GetLastCheckpointThresholdWeightAtBlock(opts *bind.CallOpts, blockNumber uint32) (*big.Int, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "getLastCheckpointThresholdWeightAtBlock", blockNumber)

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// GetLastCheckpointThresholdWeightAtBlock is a free data retrieval call binding the contract method 0x1e4cd85e.
//
// Solidity: function getLastCheckpointThresholdWeightAtBlock(uint32 blockNumber) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) GetLastCheckpointThresholdWeightAtBlock(blockNumber uint32) (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetLastCheckpointThresholdWeightAtBlock(&_ECDSAStakeRegistry.CallOpts, blockNumber)
}

// GetLastCheckpointThresholdWeightAtBlock is a free data retrieval call binding the contract method 0x1e4cd85e.
//
// Solidity: function getLastCheckpointThresholdWeightAtBlock(uint32 blockNumber) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) GetLastCheckpointThresholdWeightAtBlock(blockNumber uint32) (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetLastCheckpointThresholdWeightAtBlock(&_ECDSAStakeRegistry.CallOpts, blockNumber)
}

// GetLastCheckpointTotalWeight is a free data retrieval call binding the contract method 0x314f3a49.
//
// Solidity: function getLastCheckpointTotalWeight() view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) GetLastCheckpointTotalWeight(opts *bind.CallOpts) (*big.Int, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "getLastCheckpointTotalWeight")

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// GetLastCheckpointTotalWeight is a free data retrieval call binding the contract method 0x314f3a49.
//
// Solidity: function getLastCheckpointTotalWeight() view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) GetLastCheckpointTotalWeight() (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetLastCheckpointTotalWeight(&_ECDSAStakeRegistry.CallOpts)
}

// GetLastCheckpointTotalWeight is a free data retrieval call binding the contract method 0x314f3a49.
//
// Solidity: function getLastCheckpointTotalWeight() view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) GetLastCheckpointTotalWeight() (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetLastCheckpointTotalWeight(&_ECDSAStakeRegistry.CallOpts)
}

// GetLastCheckpointTotalWeightAtBlock is a free data retrieval call binding the contract method 0x0dba3394.
//
// Solidity: function getLastCheckpointTotalWeightAtBlock(uint32 blockNumber) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) GetLastCheckpointTotalWeightAtBlock(opts *bind.CallOpts, blockNumber uint32) (*big.Int, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "getLastCheckpointTotalWeightAtBlock", blockNumber)

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// GetLastCheckpointTotalWeightAtBlock is a free data retrieval call binding the contract method 0x0dba3394.
//
// Solidity: function getLastCheckpointTotalWeightAtBlock(uint32 blockNumber) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) GetLastCheckpointTotalWeightAtBlock(blockNumber uint32) (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetLastCheckpointTotalWeightAtBlock(&_ECDSAStakeRegistry.CallOpts, blockNumber)
}

// GetLastCheckpointTotalWeightAtBlock is a free data retrieval call binding the contract method 0x0dba3394.
//
// Solidity: function getLastCheckpointTotalWeightAtBlock(uint32 blockNumber) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) GetLastCheckpointTotalWeightAtBlock(blockNumber uint32) (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetLastCheckpointTotalWeightAtBlock(&_ECDSAStakeRegistry.CallOpts, blockNumber)
}

// GetLatestOperatorSigningKey is a free data retrieval call binding the contract method 0xa2ce5fd1.
//
// Solidity: function getLatestOperatorSigningKey(address operator) view returns(address)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) GetLatestOperatorSigningKey(opts *bind.CallOpts, operator common.Address) (common.Address, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "getLatestOperatorSigningKey", operator)

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// GetLatestOperatorSigningKey is a free data retrieval call binding the contract method 0xa2ce5fd1.
//
// Solidity: function getLatestOperatorSigningKey(address operator) view returns(address)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) GetLatestOperatorSigningKey(operator common.Address) (common.Address, error) {
	return _ECDSAStakeRegistry.Contract.GetLatestOperatorSigningKey(&_ECDSAStakeRegistry.CallOpts, operator)
}

// GetLatestOperatorSigningKey is a free data retrieval call binding the contract method 0xa2ce5fd1.
//
// Solidity: function getLatestOperatorSigningKey(address operator) view returns(address)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) GetLatestOperatorSigningKey(operator common.Address) (common.Address, error) {
	return _ECDSAStakeRegistry.Contract.GetLatestOperatorSigningKey(&_ECDSAStakeRegistry.CallOpts, operator)
}

// GetOperatorSigningKeyAtBlock is a free data retrieval call binding the contract method 0x5e1042e8.
//
// Solidity: function getOperatorSigningKeyAtBlock(address operator, uint256 blockNumber) view returns(address)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) GetOperatorSigningKeyAtBlock(opts *bind.CallOpts, operator common.Address, blockNumber *big.Int) (common.Address, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "getOperatorSigningKeyAtBlock", operator, blockNumber)

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// GetOperatorSigningKeyAtBlock is a free data retrieval call binding the contract method 0x5e1042e8.
//
// Solidity: function getOperatorSigningKeyAtBlock(address operator, uint256 blockNumber) view returns(address)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) GetOperatorSigningKeyAtBlock(operator common.Address, blockNumber *big.Int) (common.Address, error) {
	return _ECDSAStakeRegistry.Contract.GetOperatorSigningKeyAtBlock(&_ECDSAStakeRegistry.CallOpts, operator, blockNumber)
}

// GetOperatorSigningKeyAtBlock is a free data retrieval call binding the contract method 0x5e1042e8.
//
// Solidity: function getOperatorSigningKeyAtBlock(address operator, uint256 blockNumber) view returns(address)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) GetOperatorSigningKeyAtBlock(operator common.Address, blockNumber *big.Int) (common.Address, error) {
	return _ECDSAStakeRegistry.Contract.GetOperatorSigningKeyAtBlock(&_ECDSAStakeRegistry.CallOpts, operator, blockNumber)
}

// GetOperatorWeight is a free data retrieval call binding the contract method 0x98ec1ac9.
//
// Solidity: function getOperatorWeight(address operator) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) GetOperatorWeight(opts *bind.CallOpts, operator common.Address) (*big.Int, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "getOperatorWeight", operator)

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// GetOperatorWeight is a free data retrieval call binding the contract method 0x98ec1ac9.
//
// Solidity: function getOperatorWeight(address operator) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) GetOperatorWeight(operator common.Address) (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetOperatorWeight(&_ECDSAStakeRegistry.CallOpts, operator)
}

// GetOperatorWeight is a free data retrieval call binding the contract method 0x98ec1ac9.
//
// Solidity: function getOperatorWeight(address operator) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) GetOperatorWeight(operator common.Address) (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetOperatorWeight(&_ECDSAStakeRegistry.CallOpts, operator)
}

// GetOperatorWeightAtBlock is a free data retrieval call binding the contract method 0x955f2d90.
//
// Solidity: function getOperatorWeightAtBlock(address operator, uint32 blockNumber) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) GetOperatorWeightAtBlock(opts *bind.CallOpts, operator common.Address, blockNumber uint32) (*big.Int, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "getOperatorWeightAtBlock", operator, blockNumber)

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// GetOperatorWeightAtBlock is a free data retrieval call binding the contract method 0x955f2d90.
//
// Solidity: function getOperatorWeightAtBlock(address operator, uint32 blockNumber) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) GetOperatorWeightAtBlock(operator common.Address, blockNumber uint32) (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetOperatorWeightAtBlock(&_ECDSAStakeRegistry.CallOpts, operator, blockNumber)
}

// GetOperatorWeightAtBlock is a free data retrieval call binding the contract method 0x955f2d90.
//
// Solidity: function getOperatorWeightAtBlock(address operator, uint32 blockNumber) view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) GetOperatorWeightAtBlock(operator common.Address, blockNumber uint32) (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.GetOperatorWeightAtBlock(&_ECDSAStakeRegistry.CallOpts, operator, blockNumber)
}

// MinimumWeight is a free data retrieval call binding the contract method 0x40bf2fb7.
//
// Solidity: function minimumWeight() view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) MinimumWeight(opts *bind.CallOpts) (*big.Int, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "minimumWeight")

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// MinimumWeight is a free data retrieval call binding the contract method 0x40bf2fb7.
//
// Solidity: function minimumWeight() view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) MinimumWeight() (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.MinimumWeight(&_ECDSAStakeRegistry.CallOpts)
}

// MinimumWeight is a free data retrieval call binding the contract method 0x40bf2fb7.
//
// Solidity: function minimumWeight() view returns(uint256)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) MinimumWeight() (*big.Int, error) {
	return _ECDSAStakeRegistry.Contract.MinimumWeight(&_ECDSAStakeRegistry.CallOpts)
}

// OperatorRegistered is a free data retrieval call binding the contract method 0xec7fbb31.
//
// Solidity: function operatorRegistered(address operator) view returns(bool)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) OperatorRegistered(opts *bind.CallOpts, operator common.Address) (bool, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "operatorRegistered", operator)

	if err != nil {
		return *new(bool), err
	}

	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)

	return out0, err

}

// OperatorRegistered is a free data retrieval call binding the contract method 0xec7fbb31.
//
// Solidity: function operatorRegistered(address operator) view returns(bool)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) OperatorRegistered(operator common.Address) (bool, error) {
	return _ECDSAStakeRegistry.Contract.OperatorRegistered(&_ECDSAStakeRegistry.CallOpts, operator)
}

// OperatorRegistered is a free data retrieval call binding the contract method 0xec7fbb31.
//
// Solidity: function operatorRegistered(address operator) view returns(bool)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) OperatorRegistered(operator common.Address) (bool, error) {
	return _ECDSAStakeRegistry.Contract.OperatorRegistered(&_ECDSAStakeRegistry.CallOpts, operator)
}

// Owner is a free data retrieval call binding the contract method 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) Owner(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "owner")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Owner is a free data retrieval call binding the contract method 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) Owner() (common.Address, error) {
	return _ECDSAStakeRegistry.Contract.Owner(&_ECDSAStakeRegistry.CallOpts)
}

// Owner is a free data retrieval call binding the contract method 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) Owner() (common.Address, error) {
	return _ECDSAStakeRegistry.Contract.Owner(&_ECDSAStakeRegistry.CallOpts)
}

// Quorum is a free data retrieval call binding the contract method 0x1703a018.
//
// Solidity: function quorum() view returns(((address,uint96)[]))
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCaller) Quorum(opts *bind.CallOpts) (ECDSAStakeRegistryQuorum, error) {
	var out []interface{}
	err := _ECDSAStakeRegistry.contract.Call(opts, &out, "quorum")

	if err != nil {
		return *new(ECDSAStakeRegistryQuorum), err
	}

	out0 := *abi.ConvertType(out[0], new(ECDSAStakeRegistryQuorum)).(*ECDSAStakeRegistryQuorum)

	return out0, err

}

// Quorum is a free data retrieval call binding the contract method 0x1703a018.
//
// Solidity: function quorum() view returns(((address,uint96)[]))
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) Quorum() (ECDSAStakeRegistryQuorum, error) {
	return _ECDSAStakeRegistry.Contract.Quorum(&_ECDSAStakeRegistry.CallOpts)
}

// Quorum is a free data retrieval call binding the contract method 0x1703a018.
//
// Solidity: function quorum() view returns(((address,uint96)[]))
func (_ECDSAStakeRegistry *ECDSAStakeRegistryCallerSession) Quorum() (ECDSAStakeRegistryQuorum, error) {
	return _ECDSAStakeRegistry.Contract.Quorum(&_ECDSAStakeRegistry.CallOpts)
}

// DeregisterOperator is a paid mutator transaction binding the contract method 0x857dc190.
//
// Solidity: function deregisterOperator() returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactor) DeregisterOperator(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.contract.Transact(opts, "deregisterOperator")
}

// DeregisterOperator is a paid mutator transaction binding the contract method 0x857dc190.
//
// Solidity: function deregisterOperator() returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) DeregisterOperator() (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.DeregisterOperator(&_ECDSAStakeRegistry.TransactOpts)
}

// DeregisterOperator is a paid mutator transaction binding the contract method 0x857dc190.
//
// Solidity: function deregisterOperator() returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactorSession) DeregisterOperator() (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.DeregisterOperator(&_ECDSAStakeRegistry.TransactOpts)
}

// Initialize is a paid mutator transaction binding the contract method 0xab118995.
//
// Solidity: function initialize(address serviceManager_, uint256 thresholdWeight, ((address,uint96)[]) quorum_) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactor) Initialize(opts *bind.TransactOpts, serviceManager_ common.Address, thresholdWeight *big.Int, quorum_ ECDSAStakeRegistryQuorum) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.contract.Transact(opts, "initialize", serviceManager_, thresholdWeight, quorum_)
}

// Initialize is a paid mutator transaction binding the contract method 0xab118995.
//
// Solidity: function initialize(address serviceManager_, uint256 thresholdWeight, ((address,uint96)[]) quorum_) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) Initialize(serviceManager_ common.Address, thresholdWeight *big.Int, quorum_ ECDSAStakeRegistryQuorum) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.Initialize(&_ECDSAStakeRegistry.TransactOpts, serviceManager_, thresholdWeight, quorum_)
}

// Initialize is a paid mutator transaction binding the contract method 0xab118995.
//
// Solidity: function initialize(address serviceManager_, uint256 thresholdWeight, ((address,uint96)[]) quorum_) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactorSession) Initialize(serviceManager_ common.Address, thresholdWeight *big.Int, quorum_ ECDSAStakeRegistryQuorum) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.Initialize(&_ECDSAStakeRegistry.TransactOpts, serviceManager_, thresholdWeight, quorum_)
}

// RegisterOperatorWithSignature is a paid mutator transaction binding the contract method 0x3d5611f6.
//
// Solidity: function registerOperatorWithSignature((bytes,bytes32,uint256) , address signingKey) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactor) RegisterOperatorWithSignature(opts *bind.TransactOpts, arg0 ECDSAStakeRegistrySignatureWithSaltAndExpiry, signingKey common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.contract.Transact(opts, "registerOperatorWithSignature", arg0, signingKey)
}

// RegisterOperatorWithSignature is a paid mutator transaction binding the contract method 0x3d5611f6.
//
// Solidity: function registerOperatorWithSignature((bytes,bytes32,uint256) , address signingKey) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) RegisterOperatorWithSignature(arg0 ECDSAStakeRegistrySignatureWithSaltAndExpiry, signingKey common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.RegisterOperatorWithSignature(&_ECDSAStakeRegistry.TransactOpts, arg0, signingKey)
}

// RegisterOperatorWithSignature is a paid mutator transaction binding the contract method 0x3d5611f6.
//
// Solidity: function registerOperatorWithSignature((bytes,bytes32,uint256) , address signingKey) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactorSession) RegisterOperatorWithSignature(arg0 ECDSAStakeRegistrySignatureWithSaltAndExpiry, signingKey common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.RegisterOperatorWithSignature(&_ECDSAStakeRegistry.TransactOpts, arg0, signingKey)
}

// UpdateMinimumWeight is a paid mutator transaction binding the contract method 0x696255be.
//
// Solidity: function updateMinimumWeight(uint256 newMinimumWeight, address[] operators) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactor) UpdateMinimumWeight(opts *bind.TransactOpts, newMinimumWeight *big.Int, operators []common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.contract.Transact(opts, "updateMinimumWeight", newMinimumWeight, operators)
}

// UpdateMinimumWeight is a paid mutator transaction binding the contract method 0x696255be.
//
// Solidity: function updateMinimumWeight(uint256 newMinimumWeight, address[] operators) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) UpdateMinimumWeight(newMinimumWeight *big.Int, operators []common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateMinimumWeight(&_ECDSAStakeRegistry.TransactOpts, newMinimumWeight, operators)
}

// UpdateMinimumWeight is a paid mutator transaction binding the contract method 0x696255be.
//
// Solidity: function updateMinimumWeight(uint256 newMinimumWeight, address[] operators) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactorSession) UpdateMinimumWeight(newMinimumWeight *big.Int, operators []common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateMinimumWeight(&_ECDSAStakeRegistry.TransactOpts, newMinimumWeight, operators)
}

// UpdateOperatorSigningKey is a paid mutator transaction binding the contract method 0x743c31f4.
//
// Solidity: function updateOperatorSigningKey(address newSigningKey) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactor) UpdateOperatorSigningKey(opts *bind.TransactOpts, newSigningKey common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.contract.Transact(opts, "updateOperatorSigningKey", newSigningKey)
}

// UpdateOperatorSigningKey is a paid mutator transaction binding the contract method 0x743c31f4.
//
// Solidity: function updateOperatorSigningKey(address newSigningKey) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) UpdateOperatorSigningKey(newSigningKey common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateOperatorSigningKey(&_ECDSAStakeRegistry.TransactOpts, newSigningKey)
}

// UpdateOperatorSigningKey is a paid mutator transaction binding the contract method 0x743c31f4.
//
// Solidity: function updateOperatorSigningKey(address newSigningKey) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactorSession) UpdateOperatorSigningKey(newSigningKey common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateOperatorSigningKey(&_ECDSAStakeRegistry.TransactOpts, newSigningKey)
}

// UpdateOperators is a paid mutator transaction binding the contract method 0x00cf2ab5.
//
// Solidity: function updateOperators(address[] operators) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactor) UpdateOperators(opts *bind.TransactOpts, operators []common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.contract.Transact(opts, "updateOperators", operators)
}

// UpdateOperators is a paid mutator transaction binding the contract method 0x00cf2ab5.
//
// Solidity: function updateOperators(address[] operators) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) UpdateOperators(operators []common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateOperators(&_ECDSAStakeRegistry.TransactOpts, operators)
}

// UpdateOperators is a paid mutator transaction binding the contract method 0x00cf2ab5.
//
// Solidity: function updateOperators(address[] operators) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactorSession) UpdateOperators(operators []common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateOperators(&_ECDSAStakeRegistry.TransactOpts, operators)
}

// UpdateOperatorsForQuorum is a paid mutator transaction binding the contract method 0x5140a548.
//
// Solidity: function updateOperatorsForQuorum(address[][] operatorsPerQuorum, bytes ) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactor) UpdateOperatorsForQuorum(opts *bind.TransactOpts, operatorsPerQuorum [][]common.Address, arg1 []byte) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.contract.Transact(opts, "updateOperatorsForQuorum", operatorsPerQuorum, arg1)
}

// UpdateOperatorsForQuorum is a paid mutator transaction binding the contract method 0x5140a548.
//
// Solidity: function updateOperatorsForQuorum(address[][] operatorsPerQuorum, bytes ) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) UpdateOperatorsForQuorum(operatorsPerQuorum [][]common.Address, arg1 []byte) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateOperatorsForQuorum(&_ECDSAStakeRegistry.TransactOpts, operatorsPerQuorum, arg1)
}

// UpdateOperatorsForQuorum is a paid mutator transaction binding the contract method 0x5140a548.
//
// Solidity: function updateOperatorsForQuorum(address[][] operatorsPerQuorum, bytes ) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactorSession) UpdateOperatorsForQuorum(operatorsPerQuorum [][]common.Address, arg1 []byte) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateOperatorsForQuorum(&_ECDSAStakeRegistry.TransactOpts, operatorsPerQuorum, arg1)
}

// UpdateQuorumConfig is a paid mutator transaction binding the contract method 0xdec5d1f6.
//
// Solidity: function updateQuorumConfig(((address,uint96)[]) quorum_, address[] operators) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactor) UpdateQuorumConfig(opts *bind.TransactOpts, quorum_ ECDSAStakeRegistryQuorum, operators []common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.contract.Transact(opts, "updateQuorumConfig", quorum_, operators)
}

// UpdateQuorumConfig is a paid mutator transaction binding the contract method 0xdec5d1f6.
//
// Solidity: function updateQuorumConfig(((address,uint96)[]) quorum_, address[] operators) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) UpdateQuorumConfig(quorum_ ECDSAStakeRegistryQuorum, operators []common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateQuorumConfig(&_ECDSAStakeRegistry.TransactOpts, quorum_, operators)
}

// UpdateQuorumConfig is a paid mutator transaction binding the contract method 0xdec5d1f6.
//
// Solidity: function updateQuorumConfig(((address,uint96)[]) quorum_, address[] operators) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactorSession) UpdateQuorumConfig(quorum_ ECDSAStakeRegistryQuorum, operators []common.Address) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateQuorumConfig(&_ECDSAStakeRegistry.TransactOpts, quorum_, operators)
}

// UpdateStakeThreshold is a paid mutator transaction binding the contract method 0x5ef53329.
//
// Solidity: function updateStakeThreshold(uint256 thresholdWeight) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactor) UpdateStakeThreshold(opts *bind.TransactOpts, thresholdWeight *big.Int) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.contract.Transact(opts, "updateStakeThreshold", thresholdWeight)
}

// UpdateStakeThreshold is a paid mutator transaction binding the contract method 0x5ef53329.
//
// Solidity: function updateStakeThreshold(uint256 thresholdWeight) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistrySession) UpdateStakeThreshold(thresholdWeight *big.Int) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateStakeThreshold(&_ECDSAStakeRegistry.TransactOpts, thresholdWeight)
}

// UpdateStakeThreshold is a paid mutator transaction binding the contract method 0x5ef53329.
//
// Solidity: function updateStakeThreshold(uint256 thresholdWeight) returns()
func (_ECDSAStakeRegistry *ECDSAStakeRegistryTransactorSession) UpdateStakeThreshold(thresholdWeight *big.Int) (*types.Transaction, error) {
	return _ECDSAStakeRegistry.Contract.UpdateStakeThreshold(&_ECDSAStakeRegistry.TransactOpts, thresholdWeight)
}

// ECDSAStakeRegistryMinimumWeightUpdatedIterator is returned from FilterMinimumWeightUpdated and is used to iterate over the raw logs and unpacked data for MinimumWeightUpdated events raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryMinimumWeightUpdatedIterator struct {
	Event *ECDSAStakeRegistryMinimumWeightUpdated // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *ECDSAStakeRegistryMinimumWeightUpdatedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(ECDSAStakeRegistryMinimumWeightUpdated)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(ECDSAStakeRegistryMinimumWeightUpdated)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *ECDSAStakeRegistryMinimumWeightUpdatedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *ECDSAStakeRegistryMinimumWeightUpdatedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// ECDSAStakeRegistryMinimumWeightUpdated represents a MinimumWeightUpdated event raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryMinimumWeightUpdated struct {
	Previous *big.Int
	Current  *big.Int
	Raw      types.Log // Blockchain specific contextual infos
}

// FilterMinimumWeightUpdated is a free log retrieval operation binding the contract event 0x713ca53b88d6eb63f5b1854cb8cbdd736ec51eda225e46791aa9298b0160648f.
//
// Solidity: event MinimumWeightUpdated(uint256 previous, uint256 current)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) FilterMinimumWeightUpdated(opts *bind.FilterOpts) (*ECDSAStakeRegistryMinimumWeightUpdatedIterator, error) {

	logs, sub, err := _ECDSAStakeRegistry.contract.FilterLogs(opts, "MinimumWeightUpdated")
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistryMinimumWeightUpdatedIterator{contract: _ECDSAStakeRegistry.contract, event: "MinimumWeightUpdated", logs: logs, sub: sub}, nil
}

// WatchMinimumWeightUpdated is a free log subscription operation binding the contract event 0x713ca53b88d6eb63f5b1854cb8cbdd736ec51eda225e46791aa9298b0160648f.
//
// Solidity: event MinimumWeightUpdated(uint256 previous, uint256 current)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) WatchMinimumWeightUpdated(opts *bind.WatchOpts, sink chan<- *ECDSAStakeRegistryMinimumWeightUpdated) (event.Subscription, error) {

	logs, sub, err := _ECDSAStakeRegistry.contract.WatchLogs(opts, "MinimumWeightUpdated")
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(ECDSAStakeRegistryMinimumWeightUpdated)
				if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "MinimumWeightUpdated", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseMinimumWeightUpdated is a log parse operation binding the contract event 0x713ca53b88d6eb63f5b1854cb8cbdd736ec51eda225e46791aa9298b0160648f.
//
// Solidity: event MinimumWeightUpdated(uint256 previous, uint256 current)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) ParseMinimumWeightUpdated(log types.Log) (*ECDSAStakeRegistryMinimumWeightUpdated, error) {
	event := new(ECDSAStakeRegistryMinimumWeightUpdated)
	if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "MinimumWeightUpdated", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// ECDSAStakeRegistryOperatorDeregisteredIterator is returned from FilterOperatorDeregistered and is used to iterate over the raw logs and unpacked data for OperatorDeregistered events raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryOperatorDeregisteredIterator struct {
	Event *ECDSAStakeRegistryOperatorDeregistered // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *ECDSAStakeRegistryOperatorDeregisteredIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(ECDSAStakeRegistryOperatorDeregistered)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(ECDSAStakeRegistryOperatorDeregistered)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *ECDSAStakeRegistryOperatorDeregisteredIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *ECDSAStakeRegistryOperatorDeregisteredIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// ECDSAStakeRegistryOperatorDeregistered represents a OperatorDeregistered event raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryOperatorDeregistered struct {
	Operator common.Address
	Avs      common.Address
	Raw      types.Log // Blockchain specific contextual infos
}

// FilterOperatorDeregistered is a free log retrieval operation binding the contract event 0x31e0adfec71bccee37b6e83a90c2fedb17d8f1693fee863c4771e7bfe2aed580.
//
// Solidity: event OperatorDeregistered(address indexed operator, address indexed avs)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) FilterOperatorDeregistered(opts *bind.FilterOpts, operator []common.Address, avs []common.Address) (*ECDSAStakeRegistryOperatorDeregisteredIterator, error) {

	var operatorRule []interface{}
	for _, operatorItem := range operator {
		operatorRule = append(operatorRule, operatorItem)
	}
	var avsRule []interface{}
	for _, avsItem := range avs {
		avsRule = append(avsRule, avsItem)
	}

	logs, sub, err := _ECDSAStakeRegistry.contract.FilterLogs(opts, "OperatorDeregistered", operatorRule, avsRule)
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistryOperatorDeregisteredIterator{contract: _ECDSAStakeRegistry.contract, event: "OperatorDeregistered", logs: logs, sub: sub}, nil
}

// WatchOperatorDeregistered is a free log subscription operation binding the contract event 0x31e0adfec71bccee37b6e83a90c2fedb17d8f1693fee863c4771e7bfe2aed580.
//
// Solidity: event OperatorDeregistered(address indexed operator, address indexed avs)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) WatchOperatorDeregistered(opts *bind.WatchOpts, sink chan<- *ECDSAStakeRegistryOperatorDeregistered, operator []common.Address, avs []common.Address) (event.Subscription, error) {

	var operatorRule []interface{}
	for _, operatorItem := range operator {
		operatorRule = append(operatorRule, operatorItem)
	}
	var avsRule []interface{}
	for _, avsItem := range avs {
		avsRule = append(avsRule, avsItem)
	}

	logs, sub, err := _ECDSAStakeRegistry.contract.WatchLogs(opts, "OperatorDeregistered", operatorRule, avsRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(ECDSAStakeRegistryOperatorDeregistered)
				if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "OperatorDeregistered", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseOperatorDeregistered is a log parse operation binding the contract event 0x31e0adfec71bccee37b6e83a90c2fedb17d8f1693fee863c4771e7bfe2aed580.
//
// Solidity: event OperatorDeregistered(address indexed operator, address indexed avs)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) ParseOperatorDeregistered(log types.Log) (*ECDSAStakeRegistryOperatorDeregistered, error) {
	event := new(ECDSAStakeRegistryOperatorDeregistered)
	if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "OperatorDeregistered", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// ECDSAStakeRegistryOperatorRegisteredIterator is returned from FilterOperatorRegistered and is used to iterate over the raw logs and unpacked data for OperatorRegistered events raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryOperatorRegisteredIterator struct {
	Event *ECDSAStakeRegistryOperatorRegistered // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *ECDSAStakeRegistryOperatorRegisteredIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(ECDSAStakeRegistryOperatorRegistered)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(ECDSAStakeRegistryOperatorRegistered)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *ECDSAStakeRegistryOperatorRegisteredIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *ECDSAStakeRegistryOperatorRegisteredIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// ECDSAStakeRegistryOperatorRegistered represents a OperatorRegistered event raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryOperatorRegistered struct {
	Operator common.Address
	Avs      common.Address
	Raw      types.Log // Blockchain specific contextual infos
}

// FilterOperatorRegistered is a free log retrieval operation binding the contract event 0xa453db612af59e5521d6ab9284dc3e2d06af286eb1b1b7b771fce4716c19f2c1.
//
// Solidity: event OperatorRegistered(address indexed operator, address indexed avs)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) FilterOperatorRegistered(opts *bind.FilterOpts, operator []common.Address, avs []common.Address) (*ECDSAStakeRegistryOperatorRegisteredIterator, error) {

	var operatorRule []interface{}
	for _, operatorItem := range operator {
		operatorRule = append(operatorRule, operatorItem)
	}
	var avsRule []interface{}
	for _, avsItem := range avs {
		avsRule = append(avsRule, avsItem)
	}

	logs, sub, err := _ECDSAStakeRegistry.contract.FilterLogs(opts, "OperatorRegistered", operatorRule, avsRule)
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistryOperatorRegisteredIterator{contract: _ECDSAStakeRegistry.contract, event: "OperatorRegistered", logs: logs, sub: sub}, nil
}

// WatchOperatorRegistered is a free log subscription operation binding the contract event 0xa453db612af59e5521d6ab9284dc3e2d06af286eb1b1b7b771fce4716c19f2c1.
//
// Solidity: event OperatorRegistered(address indexed operator, address indexed avs)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) WatchOperatorRegistered(opts *bind.WatchOpts, sink chan<- *ECDSAStakeRegistryOperatorRegistered, operator []common.Address, avs []common.Address) (event.Subscription, error) {

	var operatorRule []interface{}
	for _, operatorItem := range operator {
		operatorRule = append(operatorRule, operatorItem)
	}
	var avsRule []interface{}
	for _, avsItem := range avs {
		avsRule = append(avsRule, avsItem)
	}

	logs, sub, err := _ECDSAStakeRegistry.contract.WatchLogs(opts, "OperatorRegistered", operatorRule, avsRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(ECDSAStakeRegistryOperatorRegistered)
				if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "OperatorRegistered", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseOperatorRegistered is a log parse operation binding the contract event 0xa453db612af59e5521d6ab9284dc3e2d06af286eb1b1b7b771fce4716c19f2c1.
//
// Solidity: event OperatorRegistered(address indexed operator, address indexed avs)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) ParseOperatorRegistered(log types.Log) (*ECDSAStakeRegistryOperatorRegistered, error) {
	event := new(ECDSAStakeRegistryOperatorRegistered)
	if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "OperatorRegistered", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// ECDSAStakeRegistryOperatorWeightUpdatedIterator is returned from FilterOperatorWeightUpdated and is used to iterate over the raw logs and unpacked data for OperatorWeightUpdated events raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryOperatorWeightUpdatedIterator struct {
	Event *ECDSAStakeRegistryOperatorWeightUpdated // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *ECDSAStakeRegistryOperatorWeightUpdatedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(ECDSAStakeRegistryOperatorWeightUpdated)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(ECDSAStakeRegistryOperatorWeightUpdated)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *ECDSAStakeRegistryOperatorWeightUpdatedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *ECDSAStakeRegistryOperatorWeightUpdatedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// ECDSAStakeRegistryOperatorWeightUpdated represents a OperatorWeightUpdated event raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryOperatorWeightUpdated struct {
	Operator  common.Address
	OldWeight *big.Int
	NewWeight *big.Int
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterOperatorWeightUpdated is a free log retrieval operation binding the contract event 0x88770dc862e47a7ed586907857eb1b75e4c5ffc8b707c7ee10eb74d6885fe594.
//
// Solidity: event OperatorWeightUpdated(address indexed operator, uint256 oldWeight, uint256 newWeight)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) FilterOperatorWeightUpdated(opts *bind.FilterOpts, operator []common.Address) (*ECDSAStakeRegistryOperatorWeightUpdatedIterator, error) {

	var operatorRule []interface{}
	for _, operatorItem := range operator {
		operatorRule = append(operatorRule, operatorItem)
	}

	logs, sub, err := _ECDSAStakeRegistry.contract.FilterLogs(opts, "OperatorWeightUpdated", operatorRule)
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistryOperatorWeightUpdatedIterator{contract: _ECDSAStakeRegistry.contract, event: "OperatorWeightUpdated", logs: logs, sub: sub}, nil
}

// WatchOperatorWeightUpdated is a free log subscription operation binding the contract event 0x88770dc862e47a7ed586907857eb1b75e4c5ffc8b707c7ee10eb74d6885fe594.
//
// Solidity: event OperatorWeightUpdated(address indexed operator, uint256 oldWeight, uint256 newWeight)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) WatchOperatorWeightUpdated(opts *bind.WatchOpts, sink chan<- *ECDSAStakeRegistryOperatorWeightUpdated, operator []common.Address) (event.Subscription, error) {

	var operatorRule []interface{}
	for _, operatorItem := range operator {
		operatorRule = append(operatorRule, operatorItem)
	}

	logs, sub, err := _ECDSAStakeRegistry.contract.WatchLogs(opts, "OperatorWeightUpdated", operatorRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(ECDSAStakeRegistryOperatorWeightUpdated)
				if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "OperatorWeightUpdated", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseOperatorWeightUpdated is a log parse operation binding the contract event 0x88770dc862e47a7ed586907857eb1b75e4c5ffc8b707c7ee10eb74d6885fe594.
//
// Solidity: event OperatorWeightUpdated(address indexed operator, uint256 oldWeight, uint256 newWeight)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) ParseOperatorWeightUpdated(log types.Log) (*ECDSAStakeRegistryOperatorWeightUpdated, error) {
	event := new(ECDSAStakeRegistryOperatorWeightUpdated)
	if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "OperatorWeightUpdated", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// ECDSAStakeRegistryQuorumUpdatedIterator is returned from FilterQuorumUpdated and is used to iterate over the raw logs and unpacked data for QuorumUpdated events raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryQuorumUpdatedIterator struct {
	Event *ECDSAStakeRegistryQuorumUpdated // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *ECDSAStakeRegistryQuorumUpdatedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(ECDSAStakeRegistryQuorumUpdated)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(ECDSAStakeRegistryQuorumUpdated)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *ECDSAStakeRegistryQuorumUpdatedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *ECDSAStakeRegistryQuorumUpdatedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// ECDSAStakeRegistryQuorumUpdated represents a QuorumUpdated event raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryQuorumUpdated struct {
	Previous ECDSAStakeRegistryQuorum
	Current  ECDSAStakeRegistryQuorum
	Raw      types.Log // Blockchain specific contextual infos
}

// FilterQuorumUpdated is a free log retrieval operation binding the contract event 0x23aad4e61744ece164130aa415c1616e80136b0f0770e56589438b90b269265e.
//
// Solidity: event QuorumUpdated(((address,uint96)[]) previous, ((address,uint96)[]) current)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) FilterQuorumUpdated(opts *bind.FilterOpts) (*ECDSAStakeRegistryQuorumUpdatedIterator, error) {

	logs, sub, err := _ECDSAStakeRegistry.contract.FilterLogs(opts, "QuorumUpdated")
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistryQuorumUpdatedIterator{contract: _ECDSAStakeRegistry.contract, event: "QuorumUpdated", logs: logs, sub: sub}, nil
}

// WatchQuorumUpdated is a free log subscription operation binding the contract event 0x23aad4e61744ece164130aa415c1616e80136b0f0770e56589438b90b269265e.
//
// Solidity: event QuorumUpdated(((address,uint96)[]) previous, ((address,uint96)[]) current)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) WatchQuorumUpdated(opts *bind.WatchOpts, sink chan<- *ECDSAStakeRegistryQuorumUpdated) (event.Subscription, error) {

	logs, sub, err := _ECDSAStakeRegistry.contract.WatchLogs(opts, "QuorumUpdated")
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(ECDSAStakeRegistryQuorumUpdated)
				if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "QuorumUpdated", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseQuorumUpdated is a log parse operation binding the contract event 0x23aad4e61744ece164130aa415c1616e80136b0f0770e56589438b90b269265e.
//
// Solidity: event QuorumUpdated(((address,uint96)[]) previous, ((address,uint96)[]) current)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) ParseQuorumUpdated(log types.Log) (*ECDSAStakeRegistryQuorumUpdated, error) {
	event := new(ECDSAStakeRegistryQuorumUpdated)
	if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "QuorumUpdated", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// ECDSAStakeRegistrySigningKeyUpdateIterator is returned from FilterSigningKeyUpdate and is used to iterate over the raw logs and unpacked data for SigningKeyUpdate events raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistrySigningKeyUpdateIterator struct {
	Event *ECDSAStakeRegistrySigningKeyUpdate // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *ECDSAStakeRegistrySigningKeyUpdateIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(ECDSAStakeRegistrySigningKeyUpdate)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(ECDSAStakeRegistrySigningKeyUpdate)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *ECDSAStakeRegistrySigningKeyUpdateIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *ECDSAStakeRegistrySigningKeyUpdateIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// ECDSAStakeRegistrySigningKeyUpdate represents a SigningKeyUpdate event raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistrySigningKeyUpdate struct {
	Operator      common.Address
	UpdateBlock   *big.Int
	NewSigningKey common.Address
	OldSigningKey common.Address
	Raw           types.Log // Blockchain specific contextual infos
}

// FilterSigningKeyUpdate is a free log retrieval operation binding the contract event 0xd061168252f441733658f09e4d8f5b2d998ed4ef24a2bbfd6ceca52ea1315002.
//
// Solidity: event SigningKeyUpdate(address indexed operator, uint256 indexed updateBlock, address indexed newSigningKey, address oldSigningKey)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) FilterSigningKeyUpdate(opts *bind.FilterOpts, operator []common.Address, updateBlock []*big.Int, newSigningKey []common.Address) (*ECDSAStakeRegistrySigningKeyUpdateIterator, error) {

	var operatorRule []interface{}
	for _, operatorItem := range operator {
		operatorRule = append(operatorRule, operatorItem)
	}
	var updateBlockRule []interface{}
	for _, updateBlockItem := range updateBlock {
		updateBlockRule = append(updateBlockRule, updateBlockItem)
	}
	var newSigningKeyRule []interface{}
	for _, newSigningKeyItem := range newSigningKey {
		newSigningKeyRule = append(newSigningKeyRule, newSigningKeyItem)
	}

	logs, sub, err := _ECDSAStakeRegistry.contract.FilterLogs(opts, "SigningKeyUpdate", operatorRule, updateBlockRule, newSigningKeyRule)
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistrySigningKeyUpdateIterator{contract: _ECDSAStakeRegistry.contract, event: "SigningKeyUpdate", logs: logs, sub: sub}, nil
}

// WatchSigningKeyUpdate is a free log subscription operation binding the contract event 0xd061168252f441733658f09e4d8f5b2d998ed4ef24a2bbfd6ceca52ea1315002.
//
// Solidity: event SigningKeyUpdate(address indexed operator, uint256 indexed updateBlock, address indexed newSigningKey, address oldSigningKey)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) WatchSigningKeyUpdate(opts *bind.WatchOpts, sink chan<- *ECDSAStakeRegistrySigningKeyUpdate, operator []common.Address, updateBlock []*big.Int, newSigningKey []common.Address) (event.Subscription, error) {

	var operatorRule []interface{}
	for _, operatorItem := range operator {
		operatorRule = append(operatorRule, operatorItem)
	}
	var updateBlockRule []interface{}
	for _, updateBlockItem := range updateBlock {
		updateBlockRule = append(updateBlockRule, updateBlockItem)
	}
	var newSigningKeyRule []interface{}
	for _, newSigningKeyItem := range newSigningKey {
		newSigningKeyRule = append(newSigningKeyRule, newSigningKeyItem)
	}

	logs, sub, err := _ECDSAStakeRegistry.contract.WatchLogs(opts, "SigningKeyUpdate", operatorRule, updateBlockRule, newSigningKeyRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(ECDSAStakeRegistrySigningKeyUpdate)
				if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "SigningKeyUpdate", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseSigningKeyUpdate is a log parse operation binding the contract event 0xd061168252f441733658f09e4d8f5b2d998ed4ef24a2bbfd6ceca52ea1315002.
//
// Solidity: event SigningKeyUpdate(address indexed operator, uint256 indexed updateBlock, address indexed newSigningKey, address oldSigningKey)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) ParseSigningKeyUpdate(log types.Log) (*ECDSAStakeRegistrySigningKeyUpdate, error) {
	event := new(ECDSAStakeRegistrySigningKeyUpdate)
	if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "SigningKeyUpdate", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// ECDSAStakeRegistryThresholdWeightUpdatedIterator is returned from FilterThresholdWeightUpdated and is used to iterate over the raw logs and unpacked data for ThresholdWeightUpdated events raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryThresholdWeightUpdatedIterator struct {
	Event *ECDSAStakeRegistryThresholdWeightUpdated // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *ECDSAStakeRegistryThresholdWeightUpdatedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(ECDSAStakeRegistryThresholdWeightUpdated)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(ECDSAStakeRegistryThresholdWeightUpdated)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *ECDSAStakeRegistryThresholdWeightUpdatedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *ECDSAStakeRegistryThresholdWeightUpdatedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// ECDSAStakeRegistryThresholdWeightUpdated represents a ThresholdWeightUpdated event raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryThresholdWeightUpdated struct {
	ThresholdWeight *big.Int
	Raw             types.Log // Blockchain specific contextual infos
}

// FilterThresholdWeightUpdated is a free log retrieval operation binding the contract event 0x9324f7e5a7c0288808a634ccde44b8e979676474b22e29ee9dd569b55e791a4b.
//
// Solidity: event ThresholdWeightUpdated(uint256 thresholdWeight)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) FilterThresholdWeightUpdated(opts *bind.FilterOpts) (*ECDSAStakeRegistryThresholdWeightUpdatedIterator, error) {

	logs, sub, err := _ECDSAStakeRegistry.contract.FilterLogs(opts, "ThresholdWeightUpdated")
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistryThresholdWeightUpdatedIterator{contract: _ECDSAStakeRegistry.contract, event: "ThresholdWeightUpdated", logs: logs, sub: sub}, nil
}

// WatchThresholdWeightUpdated is a free log subscription operation binding the contract event 0x9324f7e5a7c0288808a634ccde44b8e979676474b22e29ee9dd569b55e791a4b.
//
// Solidity: event ThresholdWeightUpdated(uint256 thresholdWeight)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) WatchThresholdWeightUpdated(opts *bind.WatchOpts, sink chan<- *ECDSAStakeRegistryThresholdWeightUpdated) (event.Subscription, error) {

	logs, sub, err := _ECDSAStakeRegistry.contract.WatchLogs(opts, "ThresholdWeightUpdated")
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(ECDSAStakeRegistryThresholdWeightUpdated)
				if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "ThresholdWeightUpdated", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseThresholdWeightUpdated is a log parse operation binding the contract event 0x9324f7e5a7c0288808a634ccde44b8e979676474b22e29ee9dd569b55e791a4b.
//
// Solidity: event ThresholdWeightUpdated(uint256 thresholdWeight)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) ParseThresholdWeightUpdated(log types.Log) (*ECDSAStakeRegistryThresholdWeightUpdated, error) {
	event := new(ECDSAStakeRegistryThresholdWeightUpdated)
	if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "ThresholdWeightUpdated", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// ECDSAStakeRegistryTotalWeightUpdatedIterator is returned from FilterTotalWeightUpdated and is used to iterate over the raw logs and unpacked data for TotalWeightUpdated events raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryTotalWeightUpdatedIterator struct {
	Event *ECDSAStakeRegistryTotalWeightUpdated // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *ECDSAStakeRegistryTotalWeightUpdatedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(ECDSAStakeRegistryTotalWeightUpdated)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(ECDSAStakeRegistryTotalWeightUpdated)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *ECDSAStakeRegistryTotalWeightUpdatedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *ECDSAStakeRegistryTotalWeightUpdatedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// ECDSAStakeRegistryTotalWeightUpdated represents a TotalWeightUpdated event raised by the ECDSAStakeRegistry contract.
type ECDSAStakeRegistryTotalWeightUpdated struct {
	OldTotalWeight *big.Int
	NewTotalWeight *big.Int
	Raw            types.Log // Blockchain specific contextual infos
}

// FilterTotalWeightUpdated is a free log retrieval operation binding the contract event 0x86dcf86b12dfeedea74ae9300dbdaa193bcce5809369c8177ea2f4eaaa65729b.
//
// Solidity: event TotalWeightUpdated(uint256 oldTotalWeight, uint256 newTotalWeight)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) FilterTotalWeightUpdated(opts *bind.FilterOpts) (*ECDSAStakeRegistryTotalWeightUpdatedIterator, error) {

	logs, sub, err := _ECDSAStakeRegistry.contract.FilterLogs(opts, "TotalWeightUpdated")
	if err != nil {
		return nil, err
	}
	return &ECDSAStakeRegistryTotalWeightUpdatedIterator{contract: _ECDSAStakeRegistry.contract, event: "TotalWeightUpdated", logs: logs, sub: sub}, nil
}

// WatchTotalWeightUpdated is a free log subscription operation binding the contract event 0x86dcf86b12dfeedea74ae9300dbdaa193bcce5809369c8177ea2f4eaaa65729b.
//
// Solidity: event TotalWeightUpdated(uint256 oldTotalWeight, uint256 newTotalWeight)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) WatchTotalWeightUpdated(opts *bind.WatchOpts, sink chan<- *ECDSAStakeRegistryTotalWeightUpdated) (event.Subscription, error) {

	logs, sub, err := _ECDSAStakeRegistry.contract.WatchLogs(opts, "TotalWeightUpdated")
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(ECDSAStakeRegistryTotalWeightUpdated)
				if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "TotalWeightUpdated", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseTotalWeightUpdated is a log parse operation binding the contract event 0x86dcf86b12dfeedea74ae9300dbdaa193bcce5809369c8177ea2f4eaaa65729b.
//
// Solidity: event TotalWeightUpdated(uint256 oldTotalWeight, uint256 newTotalWeight)
func (_ECDSAStakeRegistry *ECDSAStakeRegistryFilterer) ParseTotalWeightUpdated(log types.Log) (*ECDSAStakeRegistryTotalWeightUpdated, error) {
	event := new(ECDSAStakeRegistryTotalWeightUpdated)
	if err := _ECDSAStakeRegistry.contract.UnpackLog(event, "TotalWeightUpdated", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
