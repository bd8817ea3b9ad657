/**
 * Cycle prices of a 13-node application subnet, from the developer docs' "Cycles costs" page (2026-08), the
 * prices since the 2024 compute repricing. The local IC charges them; the wallet and the sponsorship module
 * estimate what a call cost from them. A 34-node subnet costs 34/13 of these.
 */
export const CYCLE_PRICES = {
    canisterCreation: 500_000_000_000n,
    updateMessageBase: 5_000_000n,
    /** 1 cycle per instruction (`ten_update_instructions_execution_fee = 10` per ten instructions). */
    perInstruction: 1n,
    interCanisterCall: 260_000n,
    interCanisterByte: 1_000n,
    ingressMessage: 1_200_000n,
    ingressByte: 2_000n,
    storagePerGiBSecond: 127_000n
} as const;
