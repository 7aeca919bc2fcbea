"""The reference data's follower, wired into a service: read before the service consumes,
followed while it runs, stopped after it."""

from shared.messaging.reference_follower import ReferenceFollower
from shared.runtime.service_app import ServiceRuntime
from shared.runtime.settings import ServiceSettings


def follow_reference(runtime: "ServiceRuntime", settings: "ServiceSettings") -> ReferenceFollower:
    """A follower that the service reads before it consumes, and follows while it runs."""
    client_id = f"{runtime.name}-{runtime.consumer_group}-catalogue"
    access = settings.kafka_access(runtime.name)
    follower = ReferenceFollower(access, client_id, topic=settings.catalogue_topic)

    async def catalogue_follower() -> None:
        await follower.run()

    runtime.startup.append(follower.start)
    runtime.background.append(catalogue_follower)
    runtime.shutdown.append(follower.stop)
    return follower
