"""Proof that a model is a chain: its forward runs its layers one after another, in order.

The fast engines replace a model's forward with their own pass over its layers, so they must
know that forward *is* that pass. A model's list of leaf layers does not say it: ``h + relu(W h)``
and a two-branch network list the same layers as an MLP. What does say it:

- an ``nn.Sequential`` (whose forward torch wrote), its layers nested chains or torch's own layers;
- a class that declares ``chain = True`` beside its forward: a promise that the forward runs its
  children in the order they are registered (``battleground.train.models.SimpleNet2``,
  ``LeNet5``). The declaration must sit on the class that defines the forward, so a subclass
  with a forward of its own is no chain until it says so.

Leaf layers must run torch's own forward, and no module may carry hooks or appear twice (a shared
layer or weight is two uses of one tensor, which a chain's step would update twice).
"""

from __future__ import annotations

from torch import nn
from torch.nn.modules import module as _module


class NotAChain(ValueError):
    """``str(error)`` is the one-line reason a model is not a provable chain."""


def declares_chain(cls: type) -> bool:
    """Whether the class that defines ``cls``'s forward declares ``chain = True``."""
    for klass in cls.__mro__:
        if "forward" in vars(klass):
            return vars(klass).get("chain") is True
    return False


def _torch_forward(module: nn.Module) -> bool:
    return getattr(type(module).forward, "__module__", "").startswith("torch.nn.modules.")


def _hooked(module: nn.Module) -> bool:
    return any(getattr(module, name, None) for name in (
        "_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks"))


def layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``model``'s leaf layers with their names, in the order its forward runs them; raises
    :class:`NotAChain` with the reason where that order cannot be proven."""
    if any((_module._global_forward_hooks, _module._global_forward_pre_hooks,
            _module._global_backward_hooks, _module._global_backward_pre_hooks)):
        raise NotAChain("global module hooks are registered")
    found: list[tuple[str, nn.Module]] = []
    seen: dict[int, str] = {}

    def walk(name: str, module: nn.Module) -> None:
        label = f"{name} ({type(module).__name__})" if name else type(module).__name__
        if id(module) in seen:
            raise NotAChain(f"{label} is used twice (also as {seen[id(module)]}): shared weights")
        seen[id(module)] = label
        if _hooked(module):
            raise NotAChain(f"{label} has hooks, which may change what it computes")
        if type(module).__call__ is not nn.Module.__call__:
            raise NotAChain(f"{label} overrides __call__")
        # _modules, not named_children(), which lists a module used twice only once
        children = [(child_name, child) for child_name, child in module._modules.items() if child is not None]
        if not children:
            if not _torch_forward(module):
                raise NotAChain(f"{label} is a layer with a forward of its own, not one of torch's")
            found.append((name, module))
            return
        if not (type(module).forward is nn.Sequential.forward or declares_chain(type(module))):
            raise NotAChain(f"{label}'s forward is its own: only an nn.Sequential, or a class that declares "
                            f"`chain = True` beside its forward, is known to run its layers in order")
        for child_name, child in children:
            walk(f"{name}.{child_name}" if name else child_name, child)

    walk("", model)
    owners: dict[int, str] = {}
    for name, layer in found:
        for parameter in layer.parameters():
            if id(parameter) in owners:
                raise NotAChain(f"{name} shares a parameter with {owners[id(parameter)]}")
            owners[id(parameter)] = name
    return found


def reason(model: nn.Module) -> str | None:
    """None if ``model`` is a provable chain, else why not."""
    try:
        layers(model)
    except NotAChain as error:
        return str(error)
    return None
