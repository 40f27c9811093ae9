// SPDX-License-Identifier: Apache-2.0
// zerog devnet: a stand-in for 0G Compute's InferenceServing (provider registry + per
// (user, provider) sub-accounts, TEE acknowledgement, session-token revocation, TEE settlement).
//
// Written from docs/protocol/compute.md §3–4 and tests/vectors/compute-abis-0.9.0.json: names, argument types,
// struct layouts (Service: 11 fields, Account: 11 fields), events and errors match the real ABI.
// Money moves for real: this contract holds Σ account.balance + Σ provider stakes.
//   account.balance        = funds in the sub-account (including amounts being refunded);
//   account.pendingRefund  = part of balance with an open refund request (not spendable);
//   spendable ("locked")   = balance - pendingRefund.
// Simplifications versus the real contract (see tools/devnet/README.md):
//   * constructor instead of proxy + initialize(); lockTime bounds [1 h, 7 d] kept (use
//     evm_increaseTime on anvil to mature refunds);
//   * refunds[] is kept compact: it holds exactly the open requests, so refunds.length ==
//     validRefundsLength and every entry has processed == false;
//   * settleFeesWithTEE verifies an EIP-712 TEESettlement signature by the service's
//     teeSignerAddress (spec §4.8) but does not check requestsHash against anything;
//   * no fine-tuning service, no migration helpers.
pragma solidity ^0.8.24;

import {KeySet, DevOwnable, DevInitialized, toKey} from "./DevCommon.sol";
import {IServing, ILedger} from "./LedgerManager.sol";

struct Refund {
    uint256 index;
    uint256 amount;
    uint256 createdAt;
    bool processed;
}

struct Account {
    address user;
    address provider;
    uint256 nonce; // last settled TEE-settlement nonce
    uint256 balance;
    uint256 pendingRefund;
    Refund[] refunds;
    string additionalInfo;
    bool acknowledged; // the user trusts the owner's acknowledgement of the provider's TEE signer
    uint256 validRefundsLength;
    uint256 generation; // session-token generation; revokeAllTokens increments it
    uint256 revokedBitmap; // bit i set = persistent token id i revoked (for this generation)
}

struct ServiceParams {
    string serviceType;
    string url;
    string model;
    string verifiability;
    uint256 inputPrice;
    uint256 outputPrice;
    string additionalInfo;
    address teeSignerAddress;
}

struct Service {
    address provider;
    string serviceType;
    string url;
    uint256 inputPrice;
    uint256 outputPrice;
    uint256 updatedAt;
    string model;
    string verifiability;
    string additionalInfo;
    address teeSignerAddress;
    bool teeSignerAcknowledged; // set by the contract owner (0G) with acknowledgeTEESignerByOwner
}

struct TEESettlementData {
    address user;
    address provider;
    uint256 totalFee;
    bytes32 requestsHash;
    uint256 nonce;
    bytes signature;
}

contract InferenceServing is DevOwnable, DevInitialized {
    using KeySet for KeySet.Set;

    uint256 public constant MIN_LOCKTIME = 1 hours;
    uint256 public constant MAX_LOCKTIME = 7 days;
    uint256 public constant MIN_PROVIDER_STAKE = 100 ether; // 100 0G
    uint256 internal constant MAX_REFUNDS_PER_ACCOUNT = 5;
    uint256 internal constant MAX_PAGE = 50;
    uint256 internal constant MAX_SETTLEMENTS = 50;
    uint256 internal constant MAX_BATCH_USERS = 500;

    // Settlement status codes (spec §4.8)
    uint8 internal constant SUCCESS = 0;
    uint8 internal constant PARTIAL = 1;
    uint8 internal constant PROVIDER_MISMATCH = 2;
    uint8 internal constant NO_TEE_SIGNER = 3;
    uint8 internal constant INVALID_NONCE = 4;
    uint8 internal constant INVALID_SIGNATURE = 5;

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant SETTLEMENT_TYPEHASH =
        keccak256("TEESettlement(bytes32 requestsHash,uint256 nonce,address provider,address user,uint256 totalFee)");

    event BalanceUpdated(address indexed user, address indexed provider, uint256 amount, uint256 pendingRefund);
    event RefundRequested(address indexed user, address indexed provider, uint256 indexed index, uint256 timestamp);
    event ServiceUpdated(
        address indexed service,
        string serviceType,
        string url,
        uint256 inputPrice,
        uint256 outputPrice,
        uint256 updatedAt,
        string model,
        string verifiability
    );
    event ServiceRemoved(address indexed service);
    event TEESettlementResult(address indexed user, uint8 status, uint256 unsettledAmount);
    event ProviderTEESignerAcknowledged(address indexed provider, address indexed teeSignerAddress, bool acknowledged);
    event ProviderStaked(address indexed provider, uint256 amount);
    event ProviderStakeReturned(address indexed provider, uint256 amount);
    event LockTimeUpdated(uint256 oldLockTime, uint256 newLockTime);
    event AccountDeleted(address indexed user, address indexed provider, uint256 refundedAmount);
    event TokenRevoked(address indexed user, address indexed provider, uint8 tokenId);
    event TokensRevoked(address indexed user, address indexed provider, uint8[] tokenIds);
    event AllTokensRevoked(address indexed user, address indexed provider, uint256 newGeneration);
    event ContractInitialized(address indexed owner, uint256 lockTime, address ledgerAddress);
    event BatchBalanceUpdated(address[] users, uint256[] balances, uint256[] pendingRefunds); // ABI parity; not emitted

    error AccountExists(address user, address provider);
    error AccountNotExists(address user, address provider);
    error BatchSizeTooLarge(uint256 size, uint256 max);
    error CallerNotLedger(address caller);
    error CannotAddStakeWhenUpdating();
    error CannotRevokeWithNonZeroBalance(address user, address provider, uint256 balance);
    error DirectDepositsDisabled();
    error InsufficientStake(uint256 provided, uint256 required);
    error InvalidAddress(address addr);
    error LimitTooLarge(uint256 limit, uint256 max);
    error LockTimeOutOfRange(uint256 lockTime, uint256 min, uint256 max);
    error NoSettlementsProvided();
    error ProviderCannotBeUser();
    error ServiceNotExist(address provider);
    error TooManyRefunds(address user, address provider);
    error TooManySettlements(uint256 count, uint256 max);
    error TransferFailed();
    error AdditionalInfoTooLong(); // ABI parity; not raised here
    error InvalidTEESignature(string reason); // ABI parity; bad signatures give status 5 instead

    uint256 private _lockTime;
    address private immutable _ledger;

    mapping(bytes32 => Account) private _accounts; // key = keccak256(abi.encode(user, provider))
    KeySet.Set private _accountKeys;
    mapping(address => KeySet.Set) private _accountsByUser;
    mapping(address => KeySet.Set) private _accountsByProvider;

    mapping(address => Service) private _services;
    KeySet.Set private _serviceKeys;
    mapping(address => uint256) private _stakes;

    constructor(uint256 lockTime_, address ledgerAddress_) DevOwnable(msg.sender) {
        if (ledgerAddress_ == address(0)) revert InvalidAddress(ledgerAddress_);
        _checkLockTime(lockTime_);
        _lockTime = lockTime_;
        _ledger = ledgerAddress_;
        emit ContractInitialized(msg.sender, lockTime_, ledgerAddress_);
    }

    /// Always reverts: the constructor already initialised this contract.
    function initialize(uint256, address, address) external pure {
        revert AlreadyInitialized();
    }

    modifier onlyLedger() {
        if (msg.sender != _ledger) revert CallerNotLedger(msg.sender);
        _;
    }

    receive() external payable {
        revert DirectDepositsDisabled();
    }

    function supportsInterface(bytes4 interfaceId) external view returns (bool) {
        return address(this) != address(0) && (interfaceId == 0x01ffc9a7 || interfaceId == type(IServing).interfaceId);
    }

    /*=== configuration ===*/

    function lockTime() external view returns (uint256) {
        return _lockTime;
    }

    function ledgerAddress() external view returns (address) {
        return _ledger;
    }

    function updateLockTime(uint256 lockTime_) external onlyOwner {
        _checkLockTime(lockTime_);
        emit LockTimeUpdated(_lockTime, lockTime_);
        _lockTime = lockTime_;
    }

    /*=== services (providers) ===*/

    /// First call registers the provider and needs a stake >= MIN_PROVIDER_STAKE as value; later
    /// calls update the service and must send no value. Changing anything but url and prices
    /// clears the owner's TEE-signer acknowledgement.
    function addOrUpdateService(ServiceParams calldata params) external payable {
        if (_stakes[msg.sender] > 0) {
            if (msg.value != 0) revert CannotAddStakeWhenUpdating();
        } else {
            if (msg.value < MIN_PROVIDER_STAKE) revert InsufficientStake(msg.value, MIN_PROVIDER_STAKE);
            _stakes[msg.sender] = msg.value;
            emit ProviderStaked(msg.sender, msg.value);
        }

        Service storage s = _services[msg.sender];
        if (_serviceKeys.add(toKey(msg.sender))) {
            s.provider = msg.sender;
            s.teeSignerAcknowledged = false;
        } else if (
            !_eq(s.serviceType, params.serviceType) ||
            !_eq(s.model, params.model) ||
            !_eq(s.verifiability, params.verifiability) ||
            !_eq(s.additionalInfo, params.additionalInfo) ||
            s.teeSignerAddress != params.teeSignerAddress
        ) {
            s.teeSignerAcknowledged = false;
        }
        s.serviceType = params.serviceType;
        s.url = params.url;
        s.inputPrice = params.inputPrice;
        s.outputPrice = params.outputPrice;
        s.updatedAt = block.timestamp;
        s.model = params.model;
        s.verifiability = params.verifiability;
        s.additionalInfo = params.additionalInfo;
        s.teeSignerAddress = params.teeSignerAddress;

        emit ServiceUpdated(
            msg.sender,
            params.serviceType,
            params.url,
            params.inputPrice,
            params.outputPrice,
            block.timestamp,
            params.model,
            params.verifiability
        );
    }

    /// Removes the caller's service and returns its stake.
    function removeService() external {
        if (!_serviceKeys.remove(toKey(msg.sender))) revert ServiceNotExist(msg.sender);
        delete _services[msg.sender];
        uint256 stake = _stakes[msg.sender];
        _stakes[msg.sender] = 0;
        if (stake > 0) {
            (bool ok, ) = payable(msg.sender).call{value: stake}("");
            if (!ok) revert TransferFailed();
            emit ProviderStakeReturned(msg.sender, stake);
        }
        emit ServiceRemoved(msg.sender);
    }

    function serviceExists(address provider) external view returns (bool) {
        return _serviceKeys.contains(toKey(provider));
    }

    function getService(address provider) external view returns (Service memory service) {
        return _getService(provider);
    }

    /// Paginated like the real contract: limit 0 means 50, limit > 50 reverts LimitTooLarge.
    function getAllServices(uint256 offset, uint256 limit) external view returns (Service[] memory services, uint256 total) {
        (uint256 begin, uint256 end) = _page(_serviceKeys.length(), offset, limit);
        total = _serviceKeys.length();
        services = new Service[](end - begin);
        for (uint256 i = begin; i < end; ++i) {
            services[i - begin] = _services[address(uint160(uint256(_serviceKeys.item(i))))];
        }
    }

    /// The contract owner (0G) attests the provider's TEE signer (Service.teeSignerAcknowledged).
    function acknowledgeTEESignerByOwner(address provider) external onlyOwner {
        Service storage s = _getService(provider);
        s.teeSignerAcknowledged = true;
        emit ProviderTEESignerAcknowledged(provider, s.teeSignerAddress, true);
    }

    function revokeTEESignerAcknowledgement(address provider) external onlyOwner {
        Service storage s = _getService(provider);
        s.teeSignerAcknowledged = false;
        emit ProviderTEESignerAcknowledged(provider, s.teeSignerAddress, false);
    }

    /*=== accounts: user side ===*/

    /// User-level acknowledgement (Account.acknowledged); the account must exist. Revoking needs a
    /// zero balance.
    function acknowledgeTEESigner(address provider, bool acknowledged) external {
        Account storage a = _getAccount(msg.sender, provider);
        if (a.acknowledged && !acknowledged && a.balance != 0) {
            revert CannotRevokeWithNonZeroBalance(msg.sender, provider, a.balance);
        }
        a.acknowledged = acknowledged;
    }

    function revokeToken(address provider, uint8 tokenId) external {
        Account storage a = _getAccount(msg.sender, provider);
        a.revokedBitmap |= uint256(1) << tokenId;
        emit TokenRevoked(msg.sender, provider, tokenId);
    }

    function revokeTokens(address provider, uint8[] calldata tokenIds) external {
        Account storage a = _getAccount(msg.sender, provider);
        for (uint256 i = 0; i < tokenIds.length; ++i) a.revokedBitmap |= uint256(1) << tokenIds[i];
        emit TokensRevoked(msg.sender, provider, tokenIds);
    }

    /// Invalidates every session token: generation++ and the bitmap starts afresh.
    function revokeAllTokens(address provider) external {
        Account storage a = _getAccount(msg.sender, provider);
        a.generation += 1;
        a.revokedBitmap = 0;
        emit AllTokensRevoked(msg.sender, provider, a.generation);
    }

    function isTokenRevoked(address user, address provider, uint8 tokenId) external view returns (bool) {
        return (_getAccount(user, provider).revokedBitmap >> tokenId) & 1 == 1;
    }

    /*=== accounts: views ===*/

    function accountExists(address user, address provider) external view returns (bool) {
        return _accountKeys.contains(_key(user, provider));
    }

    function getPendingRefund(address user, address provider) external view returns (uint256) {
        return _getAccount(user, provider).pendingRefund;
    }

    function getAccount(address user, address provider) external view returns (Account memory) {
        return _getAccount(user, provider);
    }

    function getAllAccounts(uint256 offset, uint256 limit) external view returns (Account[] memory accounts, uint256 total) {
        return _pageAccounts(_accountKeys, offset, limit);
    }

    function getAccountsByUser(
        address user,
        uint256 offset,
        uint256 limit
    ) external view returns (Account[] memory accounts, uint256 total) {
        return _pageAccounts(_accountsByUser[user], offset, limit);
    }

    function getAccountsByProvider(
        address provider,
        uint256 offset,
        uint256 limit
    ) external view returns (Account[] memory accounts, uint256 total) {
        return _pageAccounts(_accountsByProvider[provider], offset, limit);
    }

    /// Accounts of the given users with the caller as provider (zero structs where missing).
    function getBatchAccountsByUsers(address[] calldata users) external view returns (Account[] memory accounts) {
        if (users.length > MAX_BATCH_USERS) revert BatchSizeTooLarge(users.length, MAX_BATCH_USERS);
        accounts = new Account[](users.length);
        for (uint256 i = 0; i < users.length; ++i) {
            bytes32 k = _key(users[i], msg.sender);
            if (_accountKeys.contains(k)) accounts[i] = _accounts[k];
        }
    }

    /*=== accounts: called by the LedgerManager ===*/

    function addAccount(address user, address provider, string memory additionalInfo) external payable onlyLedger {
        if (user == provider) revert ProviderCannotBeUser();
        bytes32 k = _key(user, provider);
        if (!_accountKeys.add(k)) revert AccountExists(user, provider);
        _accountsByUser[user].add(k);
        _accountsByProvider[provider].add(k);
        Account storage a = _accounts[k];
        // nonce and generation survive a delete/re-create (replay protection, as in the real contract)
        a.user = user;
        a.provider = provider;
        a.balance = msg.value;
        a.pendingRefund = 0;
        a.additionalInfo = additionalInfo;
        a.acknowledged = true; // funding a provider auto-acknowledges its TEE signer
        a.validRefundsLength = 0;
        a.revokedBitmap = 0;
        emit BalanceUpdated(user, provider, msg.value, 0);
    }

    /// Adds msg.value to the balance after cancelling up to cancelRetrievingAmount of pending refunds
    /// (oldest first).
    function depositFund(address user, address provider, uint256 cancelRetrievingAmount) external payable onlyLedger {
        Account storage a = _getAccount(user, provider);
        uint256 cancel = cancelRetrievingAmount;
        if (cancel > 0) {
            Refund[] storage rs = a.refunds;
            uint256 w = 0;
            for (uint256 i = 0; i < rs.length; ++i) {
                Refund memory r = rs[i];
                uint256 c = cancel < r.amount ? cancel : r.amount;
                r.amount -= c;
                cancel -= c;
                a.pendingRefund -= c;
                if (r.amount > 0) {
                    r.index = w;
                    rs[w] = r;
                    ++w;
                }
            }
            while (rs.length > w) rs.pop();
            a.validRefundsLength = w;
        }
        a.balance += msg.value;
        if (!a.acknowledged) a.acknowledged = true;
        emit BalanceUpdated(user, provider, a.balance, a.pendingRefund);
    }

    /// Opens a refund request for the whole spendable balance (no-op when it is zero).
    function requestRefundAll(address user, address provider) external onlyLedger {
        Account storage a = _getAccount(user, provider);
        uint256 amount = a.balance - a.pendingRefund;
        if (amount == 0) return;
        if (a.refunds.length >= MAX_REFUNDS_PER_ACCOUNT) revert TooManyRefunds(user, provider);
        uint256 idx = a.refunds.length;
        a.refunds.push(Refund({index: idx, amount: amount, createdAt: block.timestamp, processed: false}));
        a.validRefundsLength = idx + 1;
        a.pendingRefund += amount;
        emit RefundRequested(user, provider, idx, block.timestamp);
    }

    /// Pays matured refunds (createdAt + lockTime <= now) back to the ledger.
    function processRefund(
        address user,
        address provider
    ) external onlyLedger returns (uint256 totalAmount, uint256 balance, uint256 pendingRefund) {
        Account storage a = _getAccount(user, provider);
        Refund[] storage rs = a.refunds;
        uint256 w = 0;
        for (uint256 i = 0; i < rs.length; ++i) {
            Refund memory r = rs[i];
            if (block.timestamp >= r.createdAt + _lockTime) {
                totalAmount += r.amount;
            } else {
                pendingRefund += r.amount;
                r.index = w;
                rs[w] = r;
                ++w;
            }
        }
        while (rs.length > w) rs.pop();
        a.validRefundsLength = w;
        a.balance -= totalAmount;
        a.pendingRefund = pendingRefund;
        balance = a.balance;
        if (totalAmount > 0) {
            (bool ok, ) = payable(_ledger).call{value: totalAmount}("");
            if (!ok) revert TransferFailed();
            emit BalanceUpdated(user, provider, balance, pendingRefund);
        }
    }

    /// Called when the ledger is deleted (its total balance is zero, so the account is empty).
    function deleteAccount(address user, address provider) external onlyLedger {
        bytes32 k = _key(user, provider);
        if (!_accountKeys.remove(k)) return;
        _accountsByUser[user].remove(k);
        _accountsByProvider[provider].remove(k);
        Account storage a = _accounts[k];
        uint256 left = a.balance;
        a.balance = 0;
        a.pendingRefund = 0;
        a.acknowledged = false;
        a.validRefundsLength = 0;
        a.revokedBitmap = 0;
        delete a.refunds;
        delete a.additionalInfo;
        emit AccountDeleted(user, provider, left);
    }

    /*=== settlement (provider side) ===*/

    /// Each entry must be signed (EIP-712 TEESettlement, domain "0G Inference Serving"/"1") by the
    /// caller's teeSignerAddress. Settles min(totalFee, balance) per entry and pays the sum to the
    /// caller. Status per entry: 0 SUCCESS, 1 PARTIAL, 2 PROVIDER_MISMATCH, 3 NO_TEE_SIGNER,
    /// 4 INVALID_NONCE, 5 INVALID_SIGNATURE.
    function settleFeesWithTEE(TEESettlementData[] calldata settlements) external returns (uint8[] memory statuses) {
        if (settlements.length == 0) revert NoSettlementsProvided();
        if (settlements.length > MAX_SETTLEMENTS) revert TooManySettlements(settlements.length, MAX_SETTLEMENTS);
        statuses = new uint8[](settlements.length);
        uint256 payout = 0;
        for (uint256 i = 0; i < settlements.length; ++i) {
            (uint8 st, uint256 unsettled, uint256 settled) = _settleOne(settlements[i]);
            statuses[i] = st;
            payout += settled;
            emit TEESettlementResult(settlements[i].user, st, unsettled);
        }
        if (payout > 0) {
            (bool ok, ) = payable(msg.sender).call{value: payout}("");
            if (!ok) revert TransferFailed();
        }
    }

    /// What settleFeesWithTEE would do, without changing state: failed entries (status 2–5) and
    /// partial ones (status 1, with the amount that would stay unsettled).
    function previewSettlementResults(
        TEESettlementData[] calldata settlements
    )
        external
        view
        returns (
            address[] memory failedUsers,
            uint8[] memory failureReasons,
            address[] memory partialUsers,
            uint256[] memory partialAmounts
        )
    {
        if (settlements.length == 0) revert NoSettlementsProvided();
        uint256 n = settlements.length;
        failedUsers = new address[](n);
        failureReasons = new uint8[](n);
        partialUsers = new address[](n);
        partialAmounts = new uint256[](n);
        uint256 nf = 0;
        uint256 np = 0;
        for (uint256 i = 0; i < n; ++i) {
            (uint8 st, uint256 unsettled, ) = _check(settlements[i]);
            if (st == PARTIAL) {
                partialUsers[np] = settlements[i].user;
                partialAmounts[np++] = unsettled;
            } else if (st != SUCCESS) {
                failedUsers[nf] = settlements[i].user;
                failureReasons[nf++] = st;
            }
        }
        assembly {
            mstore(failedUsers, nf)
            mstore(failureReasons, nf)
            mstore(partialUsers, np)
            mstore(partialAmounts, np)
        }
    }

    /// EIP-712 digest a TEE signer signs for one settlement (devnet helper, not in the real ABI).
    function settlementDigest(TEESettlementData calldata s) public view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                keccak256(bytes("0G Inference Serving")),
                keccak256(bytes("1")),
                block.chainid,
                address(this)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(SETTLEMENT_TYPEHASH, s.requestsHash, s.nonce, s.provider, s.user, s.totalFee)
        );
        return keccak256(abi.encodePacked(hex"1901", domain, structHash));
    }

    /*=== internals ===*/

    /// Validation shared by settle and preview: status, unsettled amount, amount to settle.
    function _check(TEESettlementData calldata s) internal view returns (uint8, uint256, uint256) {
        if (s.provider != msg.sender) return (PROVIDER_MISMATCH, s.totalFee, 0);
        Account storage a = _getAccount(s.user, msg.sender);
        Service storage svc = _getService(msg.sender);
        if (!a.acknowledged || !svc.teeSignerAcknowledged || svc.teeSignerAddress == address(0)) {
            return (NO_TEE_SIGNER, s.totalFee, 0);
        }
        if (s.nonce <= a.nonce) return (INVALID_NONCE, s.totalFee, 0);
        if (_recover(settlementDigest(s), s.signature) != svc.teeSignerAddress) {
            return (INVALID_SIGNATURE, s.totalFee, 0);
        }
        uint256 settled = s.totalFee > a.balance ? a.balance : s.totalFee;
        uint256 unsettled = s.totalFee - settled;
        return (unsettled > 0 ? PARTIAL : SUCCESS, unsettled, settled);
    }

    function _settleOne(
        TEESettlementData calldata s
    ) internal returns (uint8 status, uint256 unsettled, uint256 settled) {
        (status, unsettled, settled) = _check(s);
        if (status != SUCCESS && status != PARTIAL) return (status, unsettled, 0);
        Account storage a = _accounts[_key(s.user, msg.sender)];
        a.nonce = s.nonce;
        if (settled > 0) {
            uint256 spendable = a.balance - a.pendingRefund;
            if (settled > spendable) {
                // eat into pending refunds, newest first
                uint256 need = settled - spendable;
                a.pendingRefund -= need;
                Refund[] storage rs = a.refunds;
                while (need > 0) {
                    Refund storage r = rs[rs.length - 1];
                    if (r.amount <= need) {
                        need -= r.amount;
                        rs.pop();
                    } else {
                        r.amount -= need;
                        need = 0;
                    }
                }
                a.validRefundsLength = rs.length;
            }
            a.balance -= settled;
            ILedger(_ledger).spendFund(s.user, settled);
            emit BalanceUpdated(s.user, msg.sender, a.balance, a.pendingRefund);
        }
    }

    function _recover(bytes32 digest, bytes calldata sig) internal pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 27) v += 27;
        if (uint256(s) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) return address(0);
        return ecrecover(digest, v, r, s);
    }

    function _key(address user, address provider) internal pure returns (bytes32) {
        return keccak256(abi.encode(user, provider));
    }

    function _getAccount(address user, address provider) internal view returns (Account storage) {
        bytes32 k = _key(user, provider);
        if (!_accountKeys.contains(k)) revert AccountNotExists(user, provider);
        return _accounts[k];
    }

    function _getService(address provider) internal view returns (Service storage) {
        if (!_serviceKeys.contains(toKey(provider))) revert ServiceNotExist(provider);
        return _services[provider];
    }

    function _page(uint256 total, uint256 offset, uint256 limit) internal pure returns (uint256 begin, uint256 end) {
        if (limit > MAX_PAGE) revert LimitTooLarge(limit, MAX_PAGE);
        if (limit == 0) limit = MAX_PAGE;
        if (offset >= total) return (total, total);
        begin = offset;
        end = offset + limit > total ? total : offset + limit;
    }

    function _pageAccounts(
        KeySet.Set storage keys,
        uint256 offset,
        uint256 limit
    ) internal view returns (Account[] memory accounts, uint256 total) {
        total = keys.length();
        (uint256 begin, uint256 end) = _page(total, offset, limit);
        accounts = new Account[](end - begin);
        for (uint256 i = begin; i < end; ++i) accounts[i - begin] = _accounts[keys.item(i)];
    }

    function _checkLockTime(uint256 t) internal pure {
        if (t < MIN_LOCKTIME || t > MAX_LOCKTIME) revert LockTimeOutOfRange(t, MIN_LOCKTIME, MAX_LOCKTIME);
    }

    function _eq(string storage a, string calldata b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }
}
