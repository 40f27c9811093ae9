// SPDX-License-Identifier: Apache-2.0
// zerog devnet: a stand-in for 0G Compute's LedgerManager (the user's main account).
//
// Written from docs/protocol/compute.md §3 and the ABI in tests/vectors/compute-abis-0.9.0.json: every function
// here has the same name, argument types and return tuple layout as the real contract, so clients
// built for the network work unchanged. Money moves for real:
//   ledger.availableBalance  = funds the user can move to provider sub-accounts or withdraw;
//   ledger.totalBalance      = availableBalance + funds sitting in provider sub-accounts
//                              (the "locked" part), reduced only when a provider settles fees;
//   this contract's ETH      = Σ availableBalance (the locked part lives in the serving contract).
// Simplifications: plain constructor instead of a beacon proxy + initialize(); no storage-layout
// compatibility, no data migration helpers.
pragma solidity ^0.8.24;

import {KeySet, DevOwnable, DevInitialized, toKey, toAddr} from "./DevCommon.sol";

interface IServing {
    function accountExists(address user, address provider) external view returns (bool);

    function getPendingRefund(address user, address provider) external view returns (uint256);

    function addAccount(address user, address provider, string memory additionalInfo) external payable;

    function depositFund(address user, address provider, uint256 cancelRetrievingAmount) external payable;

    function requestRefundAll(address user, address provider) external;

    function processRefund(
        address user,
        address provider
    ) external returns (uint256 totalAmount, uint256 balance, uint256 pendingRefund);

    function deleteAccount(address user, address provider) external;
}

interface IERC165Like {
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}

interface ILedger {
    function spendFund(address user, uint256 amount) external;

    function depositFundFor(address recipient) external payable;
}

struct Ledger {
    address user;
    uint256 availableBalance;
    uint256 totalBalance;
    string additionalInfo;
}

struct ServiceInfo {
    address serviceAddress;
    IServing serviceContract;
    string serviceType; // "inference" or "fine-tuning"
    string version; // "v1.0", ...
    string fullName; // serviceType + "-" + version: the serviceName argument of transferFund/retrieveFund
    string description;
    bool isRecommended;
    uint256 registeredAt;
}

contract LedgerManager is DevOwnable, DevInitialized {
    using KeySet for KeySet.Set;

    uint256 public constant MAX_PROVIDERS_PER_BATCH = 20;
    uint256 public constant MAX_SERVICES = 500;
    uint256 public constant MAX_PROVIDERS_PER_USER_PER_SERVICE = 50;
    uint256 public constant MAX_ADDITIONAL_INFO_LENGTH = 4096;
    uint256 public constant MIN_ACCOUNT_BALANCE = 3 ether; // 3 0G
    uint256 public constant MIN_TRANSFER_AMOUNT = 1 ether; // 1 0G for a new provider sub-account

    event ServiceRegistered(address indexed serviceAddress, string serviceName);
    event RecommendedServiceUpdated(string serviceType, string version, address serviceAddress);
    event LedgerInfoUpdated(address indexed user, string additionalInfo);
    event FundSpent(address indexed user, address indexed service, uint256 amount);

    error LedgerNotExists(address user);
    error LedgerExists(address user);
    error InsufficientBalance(address user);
    error TooManyProviders(uint256 requested, uint256 maximum);
    error TooManyProvidersForService(uint256 current, uint256 maximum);
    error ServiceNameExists(string serviceName);
    error InvalidServiceAddress(address serviceAddress);
    error LedgerLocked();
    error CallerNotRegisteredService(address caller);
    error ServiceNotFound(address serviceAddress);
    error MinimumDepositRequired(uint256 provided, uint256 required);
    error AdditionalInfoTooLong(uint256 length, uint256 max);
    error ZeroAmountNotAllowed();
    error ZeroAddressNotAllowed();
    error InsufficientAvailableBalance(uint256 available, uint256 required);
    error TransferFailed();
    error CallFailed();
    error MustWithdrawAllFundsFirst(uint256 remainingBalance);
    error ServiceTypeRequired();
    error VersionRequired();
    error ServiceAlreadyRegistered(address serviceAddress);
    error ServiceMustImplementIServing(address serviceAddress);
    error ServiceRegistryLimitReached(uint256 limit);
    error NoRecommendedService(string serviceType);
    error DirectDepositsDisabled();
    error InvalidServiceType(string serviceType); // declared for ABI parity; not raised here
    error ServiceNotRegistered(address serviceAddress); // declared for ABI parity; not raised here

    mapping(address => Ledger) private _ledgers;
    KeySet.Set private _users;
    mapping(address => bool) private _locks;

    mapping(address => ServiceInfo) private _services;
    mapping(string => address) private _serviceByName;
    KeySet.Set private _serviceAddrs;
    mapping(bytes32 => address) private _recommendedByType;
    // user => service contract => providers with a sub-account
    mapping(address => mapping(address => KeySet.Set)) private _userProviders;

    constructor() DevOwnable(msg.sender) {}

    /// Always reverts: the constructor already initialised this contract (owner = deployer).
    function initialize(address) external pure {
        revert AlreadyInitialized();
    }

    modifier withLedgerLock(address user) {
        if (_locks[user]) revert LedgerLocked();
        _locks[user] = true;
        _;
        _locks[user] = false;
    }

    modifier onlyServing() {
        if (_services[msg.sender].serviceAddress == address(0)) revert CallerNotRegisteredService(msg.sender);
        _;
    }

    /// Only registered service contracts may send ETH here (matured refunds coming back).
    receive() external payable {
        if (_services[msg.sender].serviceAddress == address(0)) revert DirectDepositsDisabled();
    }

    /*=== ledger views ===*/

    function getLedger(address user) external view returns (Ledger memory) {
        return _get(user);
    }

    function getAllLedgers(uint256 offset, uint256 limit) external view returns (Ledger[] memory ledgers, uint256 total) {
        total = _users.length();
        if (offset >= total) return (new Ledger[](0), total);
        uint256 end = offset + (limit == 0 ? 50 : limit);
        if (end > total) end = total;
        ledgers = new Ledger[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            ledgers[i - offset] = _ledgers[toAddr(_users.item(i))];
        }
    }

    function getLedgerProviders(address user, string memory serviceName) external view returns (address[] memory list) {
        address svc = _serviceByName[serviceName];
        if (svc == address(0)) revert ServiceNotFound(svc);
        KeySet.Set storage ps = _userProviders[user][svc];
        list = new address[](ps.length());
        for (uint256 i = 0; i < list.length; ++i) list[i] = toAddr(ps.item(i));
    }

    /*=== user operations ===*/

    function addLedger(
        string memory additionalInfo
    ) external payable withLedgerLock(msg.sender) returns (uint256, uint256) {
        if (msg.value < MIN_ACCOUNT_BALANCE) revert MinimumDepositRequired(msg.value, MIN_ACCOUNT_BALANCE);
        _checkInfo(additionalInfo);
        if (_users.contains(toKey(msg.sender))) revert LedgerExists(msg.sender);
        _create(msg.sender, msg.value, additionalInfo);
        return (msg.value, 0);
    }

    function updateAdditionalInfo(string memory additionalInfo) external withLedgerLock(msg.sender) {
        _checkInfo(additionalInfo);
        _get(msg.sender).additionalInfo = additionalInfo;
        emit LedgerInfoUpdated(msg.sender, additionalInfo);
    }

    /// Creates the ledger when missing (then at least MIN_ACCOUNT_BALANCE).
    function depositFund() external payable withLedgerLock(msg.sender) {
        _deposit(msg.sender, msg.value);
    }

    function depositFundFor(address recipient) external payable withLedgerLock(recipient) {
        if (recipient == address(0)) revert ZeroAddressNotAllowed();
        _deposit(recipient, msg.value);
    }

    /// Ledger -> wallet. The ledger must keep at least MIN_ACCOUNT_BALANCE available or go to zero;
    /// when the total reaches zero the ledger (and its empty sub-accounts) is deleted.
    function refund(uint256 amount) external withLedgerLock(msg.sender) {
        Ledger storage l = _get(msg.sender);
        if (l.availableBalance < amount) revert InsufficientBalance(msg.sender);
        uint256 remaining = l.availableBalance - amount;
        if (remaining != 0 && remaining < MIN_ACCOUNT_BALANCE) revert MinimumDepositRequired(remaining, MIN_ACCOUNT_BALANCE);
        l.availableBalance = remaining;
        l.totalBalance -= amount;
        if (l.totalBalance == 0) {
            _users.remove(toKey(msg.sender));
            delete _ledgers[msg.sender];
            _deleteAllServiceAccounts(msg.sender);
        }
        (bool ok, ) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// Ledger -> provider sub-account. A first transfer (>= MIN_TRANSFER_AMOUNT) creates the
    /// sub-account (which auto-acknowledges the provider's TEE signer); later transfers first cancel
    /// pending refunds of that sub-account, and only the rest is taken from availableBalance.
    function transferFund(address provider, string memory serviceName, uint256 amount) external withLedgerLock(msg.sender) {
        Ledger storage l = _get(msg.sender);
        address svc = _serviceByName[serviceName];
        if (svc == address(0)) revert ServiceNotFound(svc);
        IServing serving = IServing(svc);

        if (serving.accountExists(msg.sender, provider)) {
            uint256 pending = serving.getPendingRefund(msg.sender, provider);
            uint256 cancel = amount < pending ? amount : pending;
            uint256 transferAmount = amount - cancel;
            if (l.availableBalance < transferAmount) revert InsufficientAvailableBalance(l.availableBalance, transferAmount);
            l.availableBalance -= transferAmount;
            serving.depositFund{value: transferAmount}(msg.sender, provider, cancel);
        } else {
            if (amount < MIN_TRANSFER_AMOUNT) revert MinimumDepositRequired(amount, MIN_TRANSFER_AMOUNT);
            KeySet.Set storage ps = _userProviders[msg.sender][svc];
            if (ps.length() >= MAX_PROVIDERS_PER_USER_PER_SERVICE) {
                revert TooManyProvidersForService(ps.length(), MAX_PROVIDERS_PER_USER_PER_SERVICE);
            }
            ps.add(toKey(provider));
            if (l.availableBalance < amount) revert InsufficientAvailableBalance(l.availableBalance, amount);
            l.availableBalance -= amount;
            serving.addAccount{value: amount}(msg.sender, provider, l.additionalInfo);
        }
    }

    /// For each provider: matured refunds (older than the service's lockTime) come back to
    /// availableBalance, then a new refund request is opened for the sub-account's remaining
    /// spendable balance. Call it again after lockTime to collect.
    function retrieveFund(address[] memory providers, string memory serviceName) external withLedgerLock(msg.sender) {
        if (providers.length > MAX_PROVIDERS_PER_BATCH) revert TooManyProviders(providers.length, MAX_PROVIDERS_PER_BATCH);
        address svc = _serviceByName[serviceName];
        if (svc == address(0)) revert ServiceNotFound(svc);
        IServing serving = IServing(svc);
        Ledger storage l = _get(msg.sender);
        uint256 total = 0;
        for (uint256 i = 0; i < providers.length; ++i) {
            if (serving.accountExists(msg.sender, providers[i])) {
                (uint256 amount, , ) = serving.processRefund(msg.sender, providers[i]);
                total += amount;
                serving.requestRefundAll(msg.sender, providers[i]);
            }
        }
        l.availableBalance += total;
    }

    function deleteLedger() external withLedgerLock(msg.sender) {
        Ledger storage l = _get(msg.sender);
        if (l.totalBalance != 0) revert MustWithdrawAllFundsFirst(l.totalBalance);
        _deleteAllServiceAccounts(msg.sender);
        _users.remove(toKey(msg.sender));
        delete _ledgers[msg.sender];
    }

    /// Called by a registered serving contract when a provider settles fees: the amount leaves the
    /// locked part of the ledger (the ETH itself moves from the serving contract to the provider).
    function spendFund(address user, uint256 amount) external onlyServing withLedgerLock(user) {
        Ledger storage l = _get(user);
        uint256 locked = l.totalBalance - l.availableBalance;
        if (locked < amount) revert InsufficientAvailableBalance(locked, amount);
        l.totalBalance -= amount;
        emit FundSpent(user, msg.sender, amount);
    }

    /*=== service registry ===*/

    function registerService(
        string memory serviceType,
        string memory version,
        address serviceAddress,
        string memory description
    ) external onlyOwner {
        if (serviceAddress == address(0)) revert InvalidServiceAddress(serviceAddress);
        if (bytes(serviceType).length == 0) revert ServiceTypeRequired();
        if (bytes(version).length == 0) revert VersionRequired();
        if (_services[serviceAddress].serviceAddress != address(0)) revert ServiceAlreadyRegistered(serviceAddress);
        string memory fullName = string.concat(serviceType, "-", version);
        if (_serviceByName[fullName] != address(0)) revert ServiceNameExists(fullName);
        if (!_supportsServing(serviceAddress)) revert ServiceMustImplementIServing(serviceAddress);
        if (_serviceAddrs.length() >= MAX_SERVICES) revert ServiceRegistryLimitReached(MAX_SERVICES);

        _services[serviceAddress] = ServiceInfo({
            serviceAddress: serviceAddress,
            serviceContract: IServing(serviceAddress),
            serviceType: serviceType,
            version: version,
            fullName: fullName,
            description: description,
            isRecommended: false,
            registeredAt: block.timestamp
        });
        _serviceByName[fullName] = serviceAddress;
        _serviceAddrs.add(toKey(serviceAddress));
        emit ServiceRegistered(serviceAddress, fullName);
    }

    function setRecommendedService(string memory serviceType, string memory version) external onlyOwner {
        address svc = _serviceByName[string.concat(serviceType, "-", version)];
        if (svc == address(0)) revert ServiceNotFound(svc);
        bytes32 t = keccak256(bytes(serviceType));
        address old = _recommendedByType[t];
        if (old != address(0) && old != svc) _services[old].isRecommended = false;
        _recommendedByType[t] = svc;
        _services[svc].isRecommended = true;
        emit RecommendedServiceUpdated(serviceType, version, svc);
    }

    /// Returns an all-zero struct for an unknown address (as the real contract does).
    function getServiceInfo(address serviceAddress) external view returns (ServiceInfo memory) {
        return _services[serviceAddress];
    }

    function getServiceAddressByName(string memory serviceName) external view returns (address) {
        return _serviceByName[serviceName];
    }

    function getAllActiveServices() external view returns (ServiceInfo[] memory list) {
        list = new ServiceInfo[](_serviceAddrs.length());
        for (uint256 i = 0; i < list.length; ++i) list[i] = _services[toAddr(_serviceAddrs.item(i))];
    }

    function getRecommendedService(
        string memory serviceType
    ) external view returns (string memory version, address serviceAddress) {
        serviceAddress = _recommendedByType[keccak256(bytes(serviceType))];
        if (serviceAddress == address(0)) revert NoRecommendedService(serviceType);
        version = _services[serviceAddress].version;
    }

    function getAllVersions(
        string memory serviceType
    ) external view returns (string[] memory versions, address[] memory addresses, bool[] memory isRecommendedFlags) {
        bytes32 t = keccak256(bytes(serviceType));
        uint256 n = _serviceAddrs.length();
        uint256 m = 0;
        for (uint256 i = 0; i < n; ++i) {
            if (keccak256(bytes(_services[toAddr(_serviceAddrs.item(i))].serviceType)) == t) ++m;
        }
        versions = new string[](m);
        addresses = new address[](m);
        isRecommendedFlags = new bool[](m);
        uint256 j = 0;
        for (uint256 i = 0; i < n; ++i) {
            ServiceInfo storage s = _services[toAddr(_serviceAddrs.item(i))];
            if (keccak256(bytes(s.serviceType)) == t) {
                versions[j] = s.version;
                addresses[j] = s.serviceAddress;
                isRecommendedFlags[j] = s.isRecommended;
                ++j;
            }
        }
    }

    function isRecommendedVersion(string memory serviceType, string memory version) external view returns (bool) {
        address svc = _serviceByName[string.concat(serviceType, "-", version)];
        return svc != address(0) && _services[svc].isRecommended;
    }

    /*=== internals ===*/

    function _get(address user) internal view returns (Ledger storage) {
        if (!_users.contains(toKey(user))) revert LedgerNotExists(user);
        return _ledgers[user];
    }

    function _checkInfo(string memory info) internal pure {
        if (bytes(info).length > MAX_ADDITIONAL_INFO_LENGTH) {
            revert AdditionalInfoTooLong(bytes(info).length, MAX_ADDITIONAL_INFO_LENGTH);
        }
    }

    function _create(address user, uint256 amount, string memory info) internal {
        Ledger storage l = _ledgers[user];
        l.user = user;
        l.availableBalance = amount;
        l.totalBalance = amount;
        l.additionalInfo = info;
        _users.add(toKey(user));
    }

    function _deposit(address user, uint256 amount) internal {
        if (amount == 0) revert ZeroAmountNotAllowed();
        if (!_users.contains(toKey(user))) {
            if (amount < MIN_ACCOUNT_BALANCE) revert MinimumDepositRequired(amount, MIN_ACCOUNT_BALANCE);
            _create(user, amount, "");
        } else {
            Ledger storage l = _ledgers[user];
            l.availableBalance += amount;
            l.totalBalance += amount;
        }
    }

    function _deleteAllServiceAccounts(address user) internal {
        uint256 n = _serviceAddrs.length();
        for (uint256 i = 0; i < n; ++i) {
            address svc = toAddr(_serviceAddrs.item(i));
            KeySet.Set storage ps = _userProviders[user][svc];
            while (ps.length() > 0) {
                bytes32 k = ps.item(ps.length() - 1);
                try IServing(svc).deleteAccount(user, toAddr(k)) {} catch {}
                ps.remove(k);
            }
        }
    }

    function _supportsServing(address a) internal view returns (bool) {
        if (a.code.length == 0) return false;
        try IERC165Like(a).supportsInterface(type(IServing).interfaceId) returns (bool ok) {
            return ok;
        } catch {
            return false;
        }
    }
}
