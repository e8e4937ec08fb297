import ipaddress

from django.core.exceptions import ValidationError
from django.db import models

from .targets import literal_address, normal_host, valid_host_name

# The widest network an allow-list entry may name: anything wider is a catch-all that would
# open every private address (that is what OUTBOUND_ALLOW_PRIVATE_TARGETS is for).
MIN_PREFIX = {4: 8, 6: 8}
CATCH_ALL_MESSAGE = (
    "Too wide: a network may be at most /8 (IPv4 and IPv6). An entry such as 0.0.0.0/0 or ::/0 would open every "
    "private address; name the host or the network the target is on."
)


def normal_target(value: str) -> str:
    """An allow-list entry as stored: a lowercased host name, or an IP network in CIDR notation
    (a single address becomes a /32 or /128). ValidationError for anything else."""
    value = (value or "").strip()
    if not value:
        raise ValidationError("Enter a host name or an IP network.")
    if "/" in value and "://" not in value:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValidationError("Not an IP network: write it as 10.20.0.0/16 or fd00:1::/64.") from None
        if network.prefixlen < MIN_PREFIX[network.version]:
            raise ValidationError(CATCH_ALL_MESSAGE)
        return network.with_prefixlen
    host = normal_host(value.removeprefix("[").removesuffix("]"))
    address = literal_address(host)
    if address is not None:
        return ipaddress.ip_network(address).with_prefixlen
    if "*" in host:
        raise ValidationError("Wildcards are not accepted: name each host.")
    if not valid_host_name(host) or len(host) > 253:
        raise ValidationError("Not a host name or an IP network (no scheme, port or path: vendor.internal, 10.20.0.0/16).")
    return host


class AllowedTarget(models.Model):
    """A private host or network that outbound requests of one project may reach (webhooks,
    plugins, file fetches), although private targets are refused otherwise."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="allowed_targets")
    target = models.CharField(
        max_length=300,
        help_text="A host name (vendor.internal, opens whatever it resolves to) or an IP network "
        "(10.20.0.0/16, or one address); at most /8.",
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why this target is opened.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "allowed private target"
        constraints = [models.UniqueConstraint(fields=["project", "target"], name="outbound_allowed_target_unique")]
        ordering = ["project", "target"]

    def __str__(self):
        return self.target

    def clean(self):
        try:
            self.target = normal_target(self.target)
        except ValidationError as error:
            raise ValidationError({"target": error.messages}) from None

    def save(self, *args, **kwargs):
        self.target = normal_target(self.target)
        super().save(*args, **kwargs)
