"""The network zoo: about a thousand generated sequential networks, 4 epochs each, as a class of
students taking an exam four times.

A well-known write-up generated 1,000 sequential networks plus a one-layer baseline, trained each
for 4 epochs on MNIST and compared them. Here the zoo is a seeded grid of computation kind
(Linear, Conv1d, Conv2d, Conv3d, the three ...ThenLinear kinds, ResNet-style) x activation (none,
ReLU, SELU, sigmoid, tanh), drawn by ``battleground.core.zoo`` with the original's counts per kind;
every network is trained once (one seed, as the original did), and the baseline, ``Basic`` (784 ->
10), with 30 seeds so that the page can ensemble cheap networks.

Adam at lr 1e-3 trains every network: plain SGD at that rate leaves most deep sigmoid networks
untrained after 4 epochs. Every network trains on all 60,000 training images, as the original's did.
A first, smaller pass trained on the first 10,000: ``battleground plan network-zoo`` counts those
records as changed, and ``battleground run network-zoo --replace`` trains them again on every image
(``plan`` estimates the CPU hours), keeping the runs already done.
"""

from battleground.core import catalogue, zoo
from battleground.core.config import DEFAULTS, SEED
from battleground.core.spec import Investigation, Smoke, variant

BASIC = variant(catalogue.ZOO_BASELINE)
BASIC_SEEDS = tuple(SEED + k for k in range(30))  # k = 1 ... 30 networks for the ensembles
NETWORKS = zoo.generate()  # zoo.generate(zoo.scaled_counts(8)) is a zoo of 8 networks per cell

INVESTIGATION = Investigation(
    name="network-zoo",
    question="Across a thousand generated networks, which kinds learn MNIST in 4 epochs, what do "
             "they cost, and which digits do they all get wrong?",
    variants=(BASIC, *(network.variant for network in NETWORKS)),
    seeds=(SEED,),
    variant_seeds=((BASIC.name, BASIC_SEEDS),),
    config=DEFAULTS.replace(epochs=4, optimizer="Adam", lr=1e-3),
    smoke=Smoke(
        variants=(BASIC, variant("ZooConv2d", channels=(4,), activation="ReLU"),
                  variant("ZooResNet", channels=(4,), activation="tanh")),
        config_changes={"epochs": 1, "train_size": 2_000},
    ),
)
