"""The no-op job functions RQ and arq run in the bench (imported by their worker processes)."""


def noop(payload):
    return None


async def arq_noop(ctx, payload):
    return None
