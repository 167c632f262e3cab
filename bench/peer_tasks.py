"""The no-op job functions RQ, arq and BullMQ run in the bench (imported by their worker processes)."""


def noop(payload):
    return None


async def arq_noop(ctx, payload):
    return None


async def bullmq_noop(job, token):
    return None
