import Testing
@testable import Worker

@Suite("Handler slots")
struct SlotPoolTests {
    /// A pool of one slot, taken, and a second claim loop waiting for it.
    func takenPoolWithAWaiter() async -> (SlotPool, Task<Bool, Never>) {
        let pool = SlotPool(size: 1)
        #expect(await pool.acquire())
        let waiter = Task { await pool.acquire() }
        while await pool.waiting == 0 { await Task.yield() }
        return (pool, waiter)
    }

    @Test func aFreedSlotGoesToTheLoopThatWaitedLongest() async {
        let (pool, waiter) = await takenPoolWithAWaiter()
        // The loop that gives its slot back asks again at once: the slot is already the waiter's.
        await pool.release()
        #expect(await pool.acquireAvailable(upTo: 1) == 0)
        #expect(await waiter.value)
    }

    @Test func cancellingAWaiterLeavesItWithoutASlot() async {
        let (pool, waiter) = await takenPoolWithAWaiter()
        waiter.cancel()
        #expect(await waiter.value == false)
        await pool.release()
        #expect(await pool.acquireAvailable(upTo: 2) == 1)
    }
}
